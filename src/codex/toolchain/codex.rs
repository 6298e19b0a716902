//! The pinned codex binary from its artifact: a PyPI wheel or an npm
//! platform build, fetched with that registry's own client (pip, npm),
//! checked against the artifact's pinned hash, and the binary inside it
//! against `binary_sha256`. Used by provisioning (when the pinned codex is
//! not the one the SDK bundles) and by `pin` (to hash a new version).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};

use super::cache_entry::Entry;
use super::command::run;
use crate::base::digest;
use crate::base::failure::hinted;
use crate::codex::pins::{self, NPM_PACKAGE, Pins, Source};

/// The cache entry of the codex `pins` name for this platform: the codex
/// package of the pinned artifact (`bin/codex`, and beside it what codex
/// runs from its own package: bubblewrap in `codex-resources`, `rg` in
/// `codex-path`; without its bubblewrap, codex's sandbox cannot write the
/// workspace and every apply_patch fails). Named by the
/// artifact's hash as well as the binary's: a pin whose artifact hash was
/// changed names another entry, which is fetched and checked against it,
/// so every pin file's hashes are checked alike.
pub fn entry_name(pins: &Pins) -> Result<String> {
    let artifact = pins.artifact(&pins::current_platform())?;
    // The layout is part of the name: an entry an older release made holds
    // the bare binary, which a sandboxed apply_patch cannot run with.
    let source =
        digest::sha256_hex(format!("{PACKAGE_LAYOUT}{}", artifact.source.hash()).as_bytes());
    Ok(format!(
        "codex-{}-{}",
        &artifact.binary_sha256[..16],
        &source[..8]
    ))
}

/// What an entry holds: codex's package as pip or npm installs it.
const PACKAGE_LAYOUT: &str = "package:";

/// The pinned codex for this platform, extracted once into the cache.
pub fn provision(
    pins: &Pins,
    python: &Path,
    cache: &Path,
    progress: &dyn Fn(&str),
) -> Result<PathBuf> {
    let platform = pins::current_platform();
    let artifact = pins.artifact(&platform)?;
    let entry = Entry::lock(cache, &entry_name(pins)?)?;
    let bin = entry.dir.join("bin/codex");
    if entry.is_complete() {
        entry.verify()?;
        return Ok(bin);
    }
    progress(&format!(
        "provisioning codex {} from {} (first use)",
        pins.codex.version,
        artifact.source.describe()
    ));
    let work = tempfile::tempdir_in(cache).context("creating a download dir in the cache")?;
    let file = fetch(
        &artifact.source,
        &pins.codex.package,
        &pins.codex.version,
        &platform,
        python,
        work.path(),
    )
    .with_context(|| {
        format!(
            "fetching {} as {} pins it for {platform}",
            artifact.source.describe(),
            pins.native_exs.display()
        )
    })?;
    let fetched_hash = match &artifact.source {
        Source::Wheel { .. } => digest::sha256_file(&file)?,
        Source::Npm { .. } => digest::sha512_integrity_file(&file)?,
    };
    if fetched_hash != artifact.source.hash() {
        return Err(hinted(
            anyhow!(
                "{} does not have the pinned hash: {} pins {} for {platform}, the download has {fetched_hash}",
                artifact.source.describe(),
                pins.native_exs.display(),
                artifact.source.hash()
            ),
            format!(
                "if the registry really serves other bytes now, re-pin with `codex-harvest pin --codex {}` and review the drift",
                pins.codex.version
            ),
        ));
    }
    let staged = work.path().join("package");
    let staged_bin = extract_package(&file, python, &staged)?;
    let got = digest::sha256_file(&staged_bin)?;
    if got != artifact.binary_sha256 {
        bail!(
            "the codex binary in {} has sha256 {got}, but {} pins {} for {platform}",
            artifact.source.describe(),
            pins.native_exs.display(),
            artifact.binary_sha256
        );
    }
    entry.clear()?;
    std::fs::rename(&staged, &entry.dir)
        .with_context(|| format!("moving codex's package to {}", entry.dir.display()))?;
    entry.mark_complete()?;
    Ok(bin)
}

/// The npm platform suffix of a Nix system (`@openai/codex@<v>-linux-x64`).
pub fn npm_platform(system: &str) -> Result<&'static str> {
    Ok(match system {
        "x86_64-linux" => "linux-x64",
        "aarch64-linux" => "linux-arm64",
        "x86_64-darwin" => "darwin-x64",
        "aarch64-darwin" => "darwin-arm64",
        other => {
            bail!("no npm build of codex is known for {other}; pin it by hand in config/native.exs")
        }
    })
}

/// pip `--platform` tags per Nix system. pip 23 does not widen manylinux
/// tags by itself, so every manylinux level a wheel may carry is listed;
/// macOS tags are widened to older releases by pip.
pub fn platform_tags(platform: &str) -> Result<Vec<String>> {
    let manylinux = |arch: &str| {
        [
            "2_17", "2_24", "2_27", "2_28", "2_31", "2_34", "2_35", "2_39",
        ]
        .iter()
        .map(|l| format!("manylinux_{l}_{arch}"))
        .collect()
    };
    Ok(match platform {
        "x86_64-linux" => manylinux("x86_64"),
        "aarch64-linux" => manylinux("aarch64"),
        "x86_64-darwin" => vec!["macosx_14_0_x86_64".into()],
        "aarch64-darwin" => vec!["macosx_14_0_arm64".into()],
        other => {
            bail!("no pip platform tags known for {other}; pin it by hand in config/native.exs")
        }
    })
}

/// Downloads one artifact into the empty `dir`; returns the file.
pub fn fetch(
    source: &Source,
    package: &str,
    version: &str,
    platform: &str,
    python: &Path,
    dir: &Path,
) -> Result<PathBuf> {
    match source {
        Source::Wheel { sha256, .. } => {
            let req = dir.join("requirements.txt");
            std::fs::write(
                &req,
                format!("{package}=={version} --hash=sha256:{sha256}\n"),
            )?;
            pip_download(
                python,
                dir,
                &[
                    "-r".into(),
                    req.display().to_string(),
                    "--require-hashes".into(),
                ],
                platform,
            )
        }
        Source::Npm { npm, .. } => npm_pack(npm, dir),
    }
}

/// `pip download` of one wheel for `platform` into `dir`.
pub fn pip_download(python: &Path, dir: &Path, what: &[String], platform: &str) -> Result<PathBuf> {
    let dest = dir.join("download");
    std::fs::create_dir_all(&dest)?;
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
    ])
    .arg(&dest);
    for tag in platform_tags(platform)? {
        cmd.args(["--platform", &tag]);
    }
    run(cmd.args(what), &format!("pip download {}", what.join(" ")))?;
    only_file(&dest)
}

/// `npm pack <spec>` into `dir`: npm fetches from the registry it is
/// configured with; the integrity is checked by the caller.
pub fn npm_pack(spec: &str, dir: &Path) -> Result<PathBuf> {
    let npm = which::which("npm").map_err(|_| {
        hinted(
            anyhow!("npm not found on PATH, and the codex pin {spec} comes from npm"),
            "install Node.js with npm, or pass --codex-path",
        )
    })?;
    let dest = dir.join("download");
    std::fs::create_dir_all(&dest)?;
    run(
        Command::new(npm)
            .args(["pack", "--loglevel=error", spec, "--pack-destination"])
            .arg(&dest)
            .current_dir(dir),
        &format!("npm pack {spec}"),
    )?;
    only_file(&dest)
}

/// The npm platform build of codex `version` for `system`, if npm has it.
pub fn npm_spec(version: &str, system: &str) -> Result<String> {
    Ok(format!("{NPM_PACKAGE}@{version}-{}", npm_platform(system)?))
}

fn only_file(dir: &Path) -> Result<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    match files.len() {
        1 => Ok(files.remove(0)),
        n => bail!(
            "expected one downloaded file in {}, found {n}",
            dir.display()
        ),
    }
}

/// Copies the codex package in a wheel (zip) or npm tarball, the
/// directory whose `bin/codex` is the binary, to the new directory `dest`;
/// returns the binary's path there.
pub fn extract_package(artifact: &Path, python: &Path, dest: &Path) -> Result<PathBuf> {
    let name = artifact.display().to_string();
    if name.ends_with(".whl") {
        const EXTRACT: &str = include_str!("extract_wheel.py");
        run(
            Command::new(python)
                .args(["-c", EXTRACT])
                .arg(artifact)
                .arg(dest),
            &format!("extracting codex from {name}"),
        )?;
    } else {
        let unpacked = dest.with_extension("unpacked");
        std::fs::create_dir_all(&unpacked)?;
        run(
            Command::new("tar")
                .arg("-xzf")
                .arg(artifact)
                .arg("-C")
                .arg(&unpacked),
            &format!("unpacking {name}"),
        )?;
        let found = find_binaries(&unpacked)?;
        let [bin] = found.as_slice() else {
            bail!("expected one */bin/codex in {name}, found {}", found.len());
        };
        let root = bin
            .parent()
            .and_then(Path::parent)
            .expect("*/bin/codex has a package dir");
        std::fs::rename(root, dest)?;
        std::fs::remove_dir_all(&unpacked)?;
    }
    let bin = dest.join("bin/codex");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", bin.display()))?;
    Ok(bin)
}

fn find_binaries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            out.extend(find_binaries(&path)?);
        } else if path.ends_with("bin/codex") {
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_platform_has_tags_and_an_npm_build() {
        for p in [
            "x86_64-linux",
            "aarch64-linux",
            "x86_64-darwin",
            "aarch64-darwin",
        ] {
            assert!(!platform_tags(p).unwrap().is_empty());
            assert!(
                npm_spec("1.0.0", p)
                    .unwrap()
                    .starts_with("@openai/codex@1.0.0-")
            );
        }
        for err in [
            platform_tags("riscv64-linux").unwrap_err(),
            npm_platform("riscv64-linux").unwrap_err(),
        ] {
            assert!(err.to_string().contains("by hand"));
        }
    }

    #[test]
    fn the_binary_is_found_in_an_npm_tarball() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("package/vendor/x86_64-unknown-linux-musl");
        std::fs::create_dir_all(tree.join("bin")).unwrap();
        std::fs::create_dir_all(tree.join("codex-resources/voice/bin")).unwrap();
        std::fs::write(tree.join("bin/codex"), "the binary").unwrap();
        std::fs::write(tree.join("bin/codex-code-mode-host"), "another").unwrap();
        std::fs::write(tree.join("codex-resources/voice/bin/codex-voice-host"), "x").unwrap();
        let tgz = dir.path().join("codex.tgz");
        assert!(
            Command::new("tar")
                .arg("-czf")
                .arg(&tgz)
                .arg("-C")
                .arg(dir.path())
                .arg("package")
                .status()
                .unwrap()
                .success()
        );
        let dest = dir.path().join("out");
        let bin = extract_package(&tgz, Path::new("python3"), &dest).unwrap();
        assert_eq!(bin, dest.join("bin/codex"));
        assert_eq!(std::fs::read_to_string(&bin).unwrap(), "the binary");
        assert_eq!(
            std::fs::read_to_string(dest.join("codex-resources/voice/bin/codex-voice-host"))
                .unwrap(),
            "x",
            "the package beside the binary comes with it"
        );
    }

    #[test]
    fn a_wheels_codex_package_is_extracted_with_its_modes() {
        let dir = tempfile::tempdir().unwrap();
        let whl = dir.path().join("codex.whl");
        let made = Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 z = zipfile.ZipFile(sys.argv[1], 'w')\n\
                 for name, mode in [('codex_cli_bin/bin/codex', 0o755), ('codex_cli_bin/codex-resources/bwrap', 0o755), ('codex_cli_bin/codex-package.json', 0o644), ('codex_cli_bin/__init__.py', 0o644), ('codex_cli_bin-1.dist-info/RECORD', 0o644)]:\n\
                 \x20   info = zipfile.ZipInfo(name); info.external_attr = mode << 16; z.writestr(info, name)\n\
                 z.close()",
            )
            .arg(&whl)
            .status()
            .unwrap();
        assert!(made.success());
        let dest = dir.path().join("out");
        let bin = extract_package(&whl, Path::new("python3"), &dest).unwrap();
        assert_eq!(
            std::fs::read_to_string(&bin).unwrap(),
            "codex_cli_bin/bin/codex"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = |rel: &str| {
            std::fs::metadata(dest.join(rel))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("codex-resources/bwrap"), 0o755);
        assert_eq!(mode("codex-package.json"), 0o644);
        assert!(!dest.join("__init__.py").exists());
        assert!(!dir.path().join("out/RECORD").exists());
    }
}

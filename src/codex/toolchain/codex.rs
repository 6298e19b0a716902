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

/// The cache entry of the codex `pins` name for this platform. Named by the
/// artifact's hash as well as the binary's: a pin whose artifact hash was
/// changed names another entry, which is fetched and checked against it,
/// so every pin file's hashes are checked alike.
pub fn entry_name(pins: &Pins) -> Result<String> {
    let artifact = pins.artifact(&pins::current_platform())?;
    let source = digest::sha256_hex(artifact.source.hash().as_bytes());
    Ok(format!(
        "codex-{}-{}",
        &artifact.binary_sha256[..16],
        &source[..8]
    ))
}

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
    let bin = entry.dir.join("codex");
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
    let staged = work.path().join("codex");
    extract_binary(&file, python, &staged)?;
    let got = digest::sha256_file(&staged)?;
    if got != artifact.binary_sha256 {
        bail!(
            "the codex binary in {} has sha256 {got}, but {} pins {} for {platform}",
            artifact.source.describe(),
            pins.native_exs.display(),
            artifact.binary_sha256
        );
    }
    entry.clear()?;
    std::fs::create_dir_all(&entry.dir)?;
    std::fs::rename(&staged, &bin)
        .with_context(|| format!("moving codex into {}", entry.dir.display()))?;
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

/// Copies the one `*/bin/codex` in a wheel (zip) or npm tarball to `dest`.
pub fn extract_binary(artifact: &Path, python: &Path, dest: &Path) -> Result<()> {
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
        std::fs::rename(bin, dest)?;
        std::fs::remove_dir_all(&unpacked)?;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", dest.display()))
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
        extract_binary(&tgz, Path::new("python3"), &dest).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "the binary");
    }
}

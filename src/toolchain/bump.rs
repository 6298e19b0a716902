//! A version bump: the new pins, fetched rather than typed. Each platform's
//! `openai-codex-cli-bin` wheel and the SDK wheel are downloaded and hashed,
//! and the hash lock is regenerated with pip-compile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};

use super::venv::{Lock, run};
use super::{Request, base_python, cache_dir};
use crate::digest;
use crate::failure::hinted;
use crate::pins::{self, Artifact, CodexPin, Pins, SdkPin};

/// pip-tools, for `pip-compile --generate-hashes`; a tool, not a pin.
const PIP_TOOLS: &str = "pip-tools==7.6.2";

/// The header every generated lock starts with.
pub const LOCK_HEADER: &str = "# The Python SDK pin, hash-locked. Generated from config/requirements.in by\n# `codex-harvest pin` (pip-compile --generate-hashes).\n# The openai-codex-cli-bin hashes must include every sha256 in config/native.exs.\n";

/// The new pin files' contents.
#[derive(Debug, Clone)]
pub struct Bumped {
    pub codex: CodexPin,
    pub python_sdk: SdkPin,
    pub requirements_in: String,
    pub lock: String,
}

/// pip `--platform` tags per Nix system. pip 23 does not widen manylinux
/// tags by itself, so every manylinux level a wheel may carry is listed;
/// macOS tags are widened to older releases by pip.
fn platform_tags(platform: &str) -> Result<Vec<String>> {
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

/// Fetches everything the pins for `codex_version` / `sdk_version` need, for
/// the platforms `current` pins.
pub fn fetch(
    current: &Pins,
    codex_version: &str,
    sdk_version: &str,
    req: &Request,
    progress: &dyn Fn(&str),
) -> Result<Bumped> {
    let tools = tools_python(&cache_dir(req)?, progress)?;
    let work = tempfile::tempdir().context("creating a temp dir for the downloads")?;
    let mut artifacts = BTreeMap::new();
    for platform in current.codex.artifacts.keys() {
        progress(&format!(
            "fetching {} {codex_version} for {platform}",
            current.codex.package
        ));
        let dir = work.path().join(platform);
        let mut args: Vec<String> = Vec::new();
        for tag in platform_tags(platform)? {
            args.push("--platform".into());
            args.push(tag);
        }
        let file = download(
            &tools,
            &dir,
            &format!("{}=={codex_version}", current.codex.package),
            &args,
        )?;
        let wheel = artifact(&file)?;
        artifacts.insert(
            platform.clone(),
            Artifact {
                binary_sha256: binary_sha256(&tools, &file)?,
                file: wheel.file,
                sha256: wheel.sha256,
            },
        );
    }
    progress(&format!("fetching {} {sdk_version}", pins::SDK_PACKAGE));
    let sdk_file = download(
        &tools,
        &work.path().join("sdk"),
        &format!("{}=={sdk_version}", pins::SDK_PACKAGE),
        &[],
    )?;
    let sdk = artifact(&sdk_file)?;
    progress("regenerating the hash lock (pip-compile --generate-hashes)");
    let requirements_in = format!("{}=={sdk_version}\n", pins::SDK_PACKAGE);
    std::fs::write(work.path().join("requirements.in"), &requirements_in)?;
    run(
        Command::new(&tools)
            .args([
                "-m",
                "piptools",
                "compile",
                "--quiet",
                "--generate-hashes",
                "--allow-unsafe",
                "--no-header",
                "--strip-extras",
                "--no-emit-find-links",
                "--no-emit-index-url",
                "--output-file",
                "requirements.lock",
                "requirements.in",
            ])
            .current_dir(work.path()),
        "pip-compile",
    )?;
    let compiled = std::fs::read_to_string(work.path().join("requirements.lock"))?;
    Ok(Bumped {
        codex: CodexPin {
            version: codex_version.to_string(),
            package: current.codex.package.clone(),
            artifacts,
        },
        python_sdk: SdkPin {
            version: sdk_version.to_string(),
            file: sdk.file,
            sha256: sdk.sha256,
        },
        requirements_in,
        lock: format!("{LOCK_HEADER}{compiled}"),
    })
}

/// A downloaded file's name and sha256.
struct Download {
    file: String,
    sha256: String,
}

fn artifact(file: &Path) -> Result<Download> {
    Ok(Download {
        file: file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("{} has no file name", file.display()))?
            .to_string(),
        sha256: digest::sha256_file(file)?,
    })
}

/// The sha256 of the codex binary inside a wheel (`*/bin/codex`), read with
/// Python's zipfile so nothing is unpacked to disk.
fn binary_sha256(python: &Path, wheel: &Path) -> Result<String> {
    const HASH_MEMBER: &str = r#"
import hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if n.endswith("/bin/codex")]
if len(names) != 1:
    sys.exit(f"expected one */bin/codex in the wheel, found {names}")
h = hashlib.sha256()
with z.open(names[0]) as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
"#;
    let out = Command::new(python)
        .args(["-c", HASH_MEMBER])
        .arg(wheel)
        .output()
        .with_context(|| format!("hashing the codex binary in {}", wheel.display()))?;
    let hex = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || hex.len() != 64 {
        bail!(
            "hashing the codex binary in {} failed: {}",
            wheel.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(hex)
}

/// `pip download` of one wheel into an empty `dir`; returns its path.
fn download(python: &Path, dir: &Path, requirement: &str, extra: &[String]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    run(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--quiet",
                "--dest",
            ])
            .arg(dir)
            .args(extra)
            .arg(requirement),
        &format!("pip download {requirement}"),
    )
    .map_err(|e| {
        hinted(
            e.context(format!("{requirement} could not be fetched")),
            format!(
                "check that the version exists: pip index versions {}",
                requirement.split("==").next().unwrap_or(requirement)
            ),
        )
    })?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    match files.len() {
        1 => Ok(files.remove(0)),
        n => bail!(
            "pip download {requirement} left {n} files in {}",
            dir.display()
        ),
    }
}

/// A venv in the cache with pip-tools, built once.
fn tools_python(cache: &Path, progress: &dyn Fn(&str)) -> Result<PathBuf> {
    let dir = cache.join("tools-pip-tools-7.6.2");
    let python = dir.join("bin/python");
    std::fs::create_dir_all(cache)
        .with_context(|| format!("creating the cache {}", cache.display()))?;
    let _lock = Lock::acquire(&cache.join("tools.lock"))?;
    let marker = dir.join(".codex-harvest-complete");
    if marker.exists() {
        return Ok(python);
    }
    progress(&format!("installing {PIP_TOOLS} into {}", dir.display()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    run(
        Command::new(base_python()?).args(["-m", "venv"]).arg(&dir),
        "creating the tools venv",
    )?;
    run(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PIP_TOOLS,
        ]),
        &format!("pip install {PIP_TOOLS}"),
    )?;
    std::fs::write(marker, "")?;
    Ok(python)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_platform_has_tags() {
        for p in [
            "x86_64-linux",
            "aarch64-linux",
            "x86_64-darwin",
            "aarch64-darwin",
        ] {
            assert!(!platform_tags(p).unwrap().is_empty());
        }
        assert!(
            platform_tags("riscv64-linux")
                .unwrap_err()
                .to_string()
                .contains("by hand")
        );
    }
}

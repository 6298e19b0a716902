//! Provisioning without Nix: a virtualenv in the cache, built with
//! `pip install --require-hashes` from the lock and reused while the lock,
//! the base interpreter and the platform stay the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::command::run;
use super::probe::{Probe, probe};

use super::cache_entry::Entry;
use crate::base::digest;
use crate::base::failure::hinted;
use crate::codex::pins::{self, Pins};

/// What the build asked the venv's interpreter ([`super::probe`]), kept in
/// the venv and so under its seal: importing the SDK costs a second of CPU,
/// which a sealed venv need not pay again on every run.
const PROBE_FILE: &str = ".codex-harvest-probe.json";

/// A provisioned venv: its interpreter, and what a probe found in it when
/// it was built (none for a venv an older codex-harvest built).
pub struct Venv {
    pub python: PathBuf,
    pub probe: Option<Probe>,
}

/// Returns the venv, building it first if needed.
///
/// The SDK's codex runtime is installed only from this platform's artifact
/// in `config/native.exs`, so pip refuses any other bytes.
pub fn provision(
    pins: &Pins,
    base_python: &Path,
    cache: &Path,
    progress: &dyn Fn(&str),
) -> Result<Venv> {
    let requirements = requirements(pins)?;
    check_minor(pins, base_python)?;
    let base = base_python
        .canonicalize()
        .with_context(|| format!("resolving {}", base_python.display()))?;
    let entry = Entry::lock(cache, &entry_name(pins, &base)?)?;
    let dir = &entry.dir;
    let python = dir.join("bin/python");
    if entry.is_complete() {
        entry.verify()?;
        let probe = std::fs::read(dir.join(PROBE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Probe>(&bytes).ok())
            // Its paths are where the venv was built: a cache moved or
            // copied since (`cp -al`) is probed where it is now.
            .filter(|p| p.prefix == *dir);
        return Ok(Venv { python, probe });
    }
    progress(&format!(
        "provisioning the pinned Python SDK and codex in {} (first use)",
        dir.display()
    ));
    entry.clear()?;
    run(
        Command::new(&base).args(["-m", "venv"]).arg(dir),
        "creating the venv",
    )?;
    let req_file = dir.join("requirements.txt");
    std::fs::write(&req_file, requirements)
        .with_context(|| format!("writing {}", req_file.display()))?;
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--require-hashes",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(&req_file),
        &format!(
            "pip install --require-hashes -r {}",
            pins.lock.display()
        ),
    )
    .map_err(|e| {
        let hint = match super::registry::pip_hash_mismatch(&e) {
            true => format!(
                "a download's hash is not the one {} locks: the lock or the download is wrong; `codex-harvest pin` regenerates the lock",
                pins.lock.display()
            ),
            false => "pip's own words are above; run again once it can reach its index".to_string(),
        };
        hinted(
            e.context("the pinned Python packages could not be installed"),
            hint,
        )
    })?;
    let probe = probe(&python, &[])?;
    let probe_file = dir.join(PROBE_FILE);
    std::fs::write(
        &probe_file,
        serde_json::to_vec(&probe).expect("a probe serialises"),
    )
    .with_context(|| format!("writing {}", probe_file.display()))?;
    entry.mark_complete()?;
    Ok(Venv {
        python,
        probe: Some(probe),
    })
}

/// This platform's wheel of every locked package, as a requirements file
/// pip installs with `--require-hashes`: each package accepts exactly the
/// one wheel the lock names for this platform.
/// The cache entry of the venv `pins` lock, built from the interpreter
/// `base` (canonical) for this platform.
pub(super) fn entry_name(pins: &Pins, base: &Path) -> Result<String> {
    let key = digest::sha256_parts([
        ("requirements", requirements(pins)?.as_bytes()),
        ("python", base.as_os_str().as_encoded_bytes()),
        ("platform", pins::current_platform().as_bytes()),
    ]);
    Ok(format!("venv-{}", &key[..16]))
}

fn requirements(pins: &Pins) -> Result<String> {
    let selected = pins
        .python
        .select(&pins::current_platform())
        .with_context(|| format!("in {}", pins.lock.display()))?;
    Ok(selected
        .iter()
        .map(|w| {
            format!(
                "{}=={} --hash=sha256:{}  # {}\n",
                w.package, w.version, w.sha256, w.file
            )
        })
        .collect())
}

/// Refuses an interpreter of another minor than the lock's wheels are for.
fn check_minor(pins: &Pins, base: &Path) -> Result<()> {
    let minor = super::probe::python_minor(base)?;
    let want = pins.python.python_minor();
    if minor != want {
        return Err(hinted(
            anyhow::anyhow!(
                "{} is Python {minor}, but {} locks wheels for Python {want}",
                base.display(),
                pins.lock.display()
            ),
            format!(
                "put a python{want} first on PATH as python3, or pass --python (a run with another interpreter is not a pinned reproduction)"
            ),
        ));
    }
    Ok(())
}

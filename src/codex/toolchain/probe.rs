//! Asks an interpreter what it has: its version, the SDK, the bundled codex.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::base::private_dir::PrivateDir;

const PROBE: &str = include_str!("probe.py");

#[derive(Debug, Deserialize, Serialize)]
pub struct Probe {
    pub python_version: String,
    pub prefix: PathBuf,
    pub sdk_version: Option<String>,
    pub sdk_file: Option<PathBuf>,
    pub sdk_error: Option<String>,
    pub codex_bin: Option<PathBuf>,
    pub codex_error: Option<String>,
}

pub fn probe(python: &Path, sys_path: &[PathBuf]) -> Result<Probe> {
    let paths: Vec<String> = sys_path.iter().map(|p| p.display().to_string()).collect();
    // The environment scenarios run in: nothing of the caller's but PATH
    // (no PYTHONPATH, no user site-packages), so what the probe finds is
    // what a scenario imports.
    let home = PrivateDir::new("home").context("creating a temp HOME for the probe")?;
    let out = super::command::output(
        Command::new(python)
            .arg("-c")
            .arg(PROBE)
            .arg(serde_json::to_string(&paths)?)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("PYTHONNOUSERSITE", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
    )
    .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed to start ({}): {}",
            python.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        anyhow!(
            "{} printed something unexpected ({e}): {}",
            python.display(),
            String::from_utf8_lossy(&out.stdout).trim()
        )
    })
}

/// An interpreter's `X.Y`, which decides the wheels it can install.
pub fn python_minor(python: &Path) -> Result<String> {
    let out = super::command::output(
        Command::new(python).args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]),
    )
    .with_context(|| format!("asking {} for its version", python.display()))?;
    if !out.status.success() {
        bail!(
            "{} could not say its version ({})",
            python.display(),
            out.status
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A command that starts `codex` with a throwaway HOME and CODEX_HOME and
/// nothing else of the caller's environment but PATH: codex creates its
/// home on any start, and asking it its version or its schema must not
/// write `~/.codex`. The dir lives as long as the command may run.
pub fn homeless_codex(codex: &Path) -> Result<(Command, PrivateDir)> {
    let home = PrivateDir::new("home").context("creating a temp HOME for codex")?;
    let mut cmd = Command::new(codex);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CODEX_HOME", home.path());
    Ok((cmd, home))
}

/// `codex --version` → `0.163.0`.
pub fn codex_version(codex: &Path) -> Result<String> {
    let (mut cmd, _home) = homeless_codex(codex)?;
    let out = super::command::output(cmd.arg("--version"))
        .with_context(|| format!("running {} --version", codex.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("{} --version failed ({})", codex.display(), out.status);
    }
    text.split_whitespace()
        .nth(1)
        .filter(|_| text.starts_with("codex"))
        .map(str::to_string)
        .ok_or_else(|| {
            anyhow!(
                "{} --version printed {:?}, not `codex-cli <version>`",
                codex.display(),
                text.trim()
            )
        })
}

//! The one way the toolchain runs a tool (pip, npm, tar, python, `codex
//! --version`, git): in a process group of its own, which a stop signal
//! kills with everything the tool started, never started after a signal,
//! its output captured.

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};

use crate::base::interrupt;
use crate::base::private_dir::PrivateDir;

/// Runs `cmd` to its end and returns what it printed. A tool that a stop
/// signal ended fails with the signal, not with its own death. Its TMPDIR
/// is a dir of its own, removed when it ends, however it ends: a tool a
/// signal stops (pip) leaves its temp files there, not in the user's. So
/// is npm's cache, and pip keeps none: what they fetch for the pins is
/// kept once, in this tool's cache entries, not again in the user's caches.
pub fn output(cmd: &mut Command) -> Result<Output> {
    interrupt::check()?;
    let tmp = PrivateDir::new("tool").context("creating a TMPDIR for a tool")?;
    interrupt::unblocked(cmd)
        .process_group(0)
        .env("TMPDIR", tmp.path())
        .env("npm_config_cache", tmp.path().join("npm-cache"))
        .env("PIP_NO_CACHE_DIR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = crate::base::fork_lock::spawn(cmd)
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    let group = interrupt::kill_with_run(child.id());
    let out = child.wait_with_output();
    drop(group);
    interrupt::check()?;
    out.with_context(|| format!("waiting for {:?}", cmd.get_program()))
}

/// Runs `cmd`, which must succeed; its failure shows the end of what it
/// printed, under `what`.
pub fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = output(cmd).with_context(|| what.to_string())?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let tail: Vec<&str> = text.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        // Indented, under a heading: the tool's own `hint:` lines stay its.
        bail!(
            "{what} failed ({}); its output:\n    {}",
            out.status,
            tail.join("\n    ")
        );
    }
    Ok(())
}

//! A run's private dirs in TMPDIR (scratch dirs, warm workers' dirs, the
//! TMPDIR a tool runs with): each 0700, named `codex-harvest-<pid>-…` after
//! the run's process and removed when dropped or at a forced exit, so that
//! the dirs of a run killed with SIGKILL, which removes nothing, are
//! recognised and removed by the next run ([`sweep`]).

use std::path::Path;

use anyhow::{Context, Result};

use crate::base::interrupt::{self, Removal};

/// What every private dir's name starts with.
const PREFIX: &str = "codex-harvest-";

/// A private (0700) dir in TMPDIR named after this process, removed when
/// dropped, and by a forced exit while it lives.
pub(crate) struct PrivateDir {
    dir: tempfile::TempDir,
    _removal: Removal,
}

impl PrivateDir {
    pub(crate) fn new(what: &str) -> Result<PrivateDir> {
        let dir = tempfile::Builder::new()
            // The pid padded: every run's paths are as long, and what codex
            // counts of a prompt that holds one (its token estimates) is the
            // same from run to run.
            .prefix(&format!("{PREFIX}{:010}-{what}-", std::process::id()))
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .with_context(|| {
                format!(
                    "creating a private dir in {} (TMPDIR)",
                    std::env::temp_dir().display()
                )
            })?;
        let removal = interrupt::remove_on_forced_exit(dir.path());
        Ok(PrivateDir {
            dir,
            _removal: removal,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Leaves the dir in place: the caller keeps it.
    pub(crate) fn keep(self) -> std::path::PathBuf {
        self.dir.keep()
    }
}

/// Removes the private dirs in TMPDIR that runs no longer alive left (a
/// SIGKILL removes nothing): dirs of this user named after a pid that is
/// not running. A kept scratch dir is never one of them.
pub(crate) fn sweep() {
    let tmp = std::env::temp_dir();
    let Ok(entries) = std::fs::read_dir(&tmp) else {
        return;
    };
    let me = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let ours = entry.metadata().is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.is_dir() && m.uid() == me
        });
        if ours && pid > 0 && !alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn alive(pid: libc::pid_t) -> bool {
    let Some(pid) = (pid > 0)
        .then(|| rustix::process::Pid::from_raw(pid))
        .flatten()
    else {
        return false;
    };
    rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH)
}

//! A scenario run's scratch dir: HOME, CODEX_HOME, the workdir, the outputs
//! and TMPDIR of one lane's run, private (0700), checked for room first, and
//! removed on every path unless kept (redacted) on request.
//!
//! Every private dir of a run (scratch dirs, warm workers' dirs) is named
//! `codex-harvest-<pid>-…` after the run's process, so that the dirs of a
//! run killed with SIGKILL, which removes nothing, are recognised and
//! removed by the next run ([`sweep`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::base::failure::{Classify, Kind, hinted, of_kind};
use crate::base::interrupt::{self, Removal};

/// What every private dir's name starts with.
const PREFIX: &str = "codex-harvest-";
/// A kept scratch dir's name starts so: no sweep removes it.
const KEPT: &str = "codex-harvest-kept-";

/// The free space below which a scratch dir is refused up front: codex
/// writes its state database there, and a full disk would surface as a
/// traceback about sqlite.
const MIN_SCRATCH_SPACE: u64 = 64 << 20;

/// The free space below which a run that failed is taken to have failed
/// for want of room.
const FULL_BELOW: u64 = 1 << 20;

/// The directories of one run, all inside one scratch dir (mode 0700), which
/// is removed on every path unless `--keep-scratch` asks to keep it.
pub(crate) struct Scratch {
    dir: PrivateDir,
}

/// A private (0700) dir in TMPDIR named after this process, removed when
/// dropped, and by a forced exit while it lives.
pub(crate) struct PrivateDir {
    dir: tempfile::TempDir,
    _removal: Removal,
}

impl PrivateDir {
    pub(crate) fn new(what: &str) -> Result<PrivateDir> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-{what}-", std::process::id()))
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

impl Scratch {
    pub(crate) fn new() -> Result<Scratch> {
        Self::create().kind(Kind::Io)
    }

    fn create() -> Result<Scratch> {
        let tmp = std::env::temp_dir();
        let where_ = || format!("{} (TMPDIR)", tmp.display());
        let free =
            free_space(&tmp).with_context(|| format!("reading the free space of {}", where_()))?;
        if free < MIN_SCRATCH_SPACE {
            return Err(hinted(
                anyhow!(
                    "no space left on {}: {} MiB free, a scenario needs at least {} MiB",
                    where_(),
                    free >> 20,
                    MIN_SCRATCH_SPACE >> 20
                ),
                "free some space, or point TMPDIR at another file system",
            ));
        }
        let scratch = Scratch {
            dir: PrivateDir::new("run")?,
        };
        for sub in ["home", "codex-home", "work", "out", "tmp"] {
            std::fs::create_dir(scratch.path(sub))
                .with_context(|| format!("creating a scratch dir in {}", where_()))?;
        }
        Ok(scratch)
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `error`, the failure of the run in this dir, marked as I/O and said
    /// so when the file system ran out of room meanwhile: whatever failed
    /// for it (codex's state database, a tool's write) usually says
    /// nothing of the cause.
    pub(crate) fn or_out_of_space(&self, error: anyhow::Error) -> anyhow::Error {
        let free = free_space(self.root()).unwrap_or(u64::MAX);
        if free >= FULL_BELOW {
            return error;
        }
        let tmp = self.root().parent().unwrap_or(self.root());
        let error = error.context(format!(
            "{} (TMPDIR) ran out of space while it ran: {} KiB free",
            tmp.display(),
            free >> 10
        ));
        of_kind(
            hinted(
                error,
                "free some space, or point TMPDIR at another file system",
            ),
            Kind::Io,
        )
    }

    pub(crate) fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// Keeps the dir under a name no sweep removes, once `redact` has taken
    /// every secret out of it; returns where it is.
    pub(crate) fn keep(self, redact: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
        let path = self.dir.dir.keep();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let suffix = name.rsplit('-').next().unwrap_or_default();
        let kept = path.with_file_name(format!("{KEPT}{suffix}"));
        std::fs::rename(&path, &kept)
            .with_context(|| format!("keeping {} as {}", path.display(), kept.display()))?;
        redact(&kept)?;
        Ok(kept)
    }
}

fn free_space(dir: &std::path::Path) -> Result<u64> {
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail * st.f_frsize)
}

//! A scenario run's scratch dir: HOME, CODEX_HOME, the workdir, the outputs
//! and TMPDIR of one lane's run, private (0700), checked for room first, and
//! removed on every path unless kept (redacted) on request.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};

use crate::failure::{Classify, Kind, hinted};
use crate::secrets::Scanner;

/// The free space below which a scratch dir is refused up front: codex
/// writes its state database there, and a full disk would surface as a
/// traceback about sqlite.
const MIN_SCRATCH_SPACE: u64 = 64 << 20;

/// The directories of one run, all inside one scratch dir (mode 0700), which
/// is removed on every path unless `--keep-scratch` asks to keep it.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
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
        let dir = tempfile::Builder::new()
            .prefix("codex-harvest-")
            .tempdir()
            .with_context(|| format!("creating a scratch dir in {}", where_()))?;
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .with_context(|| format!("restricting {}", dir.path().display()))?;
        let scratch = Scratch { dir };
        for sub in ["home", "codex-home", "work", "out", "tmp"] {
            std::fs::create_dir(scratch.path(sub))
                .with_context(|| format!("creating a scratch dir in {}", where_()))?;
        }
        Ok(scratch)
    }

    pub(crate) fn root(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// Keeps the dir, every secret in it redacted; returns where it is.
    pub(crate) fn keep(self, scanner: &Scanner) -> Result<PathBuf> {
        let path = self.dir.keep();
        scanner.redact_dir(&path)?;
        Ok(path)
    }
}

fn free_space(dir: &std::path::Path) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: a valid path and a zeroed struct for statvfs to fill.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

//! A scenario run's scratch dir: HOME, CODEX_HOME, the workdir, the outputs
//! and TMPDIR of one lane's run, private (0700), checked for room first, and
//! removed on every path unless kept (redacted) on request: a private dir
//! of the run's (`base::private_dir`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::base::failure::{Classify, Kind, hinted, of_kind};
use crate::base::private_dir::PrivateDir;

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
        refuse_codex_markers_above(&tmp)?;
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
        let path = self.dir.keep();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let suffix = name.rsplit('-').next().unwrap_or_default();
        let kept = path.with_file_name(format!("{KEPT}{suffix}"));
        std::fs::rename(&path, &kept)
            .with_context(|| format!("keeping {} as {}", path.display(), kept.display()))?;
        redact(&kept)?;
        Ok(kept)
    }
}

/// What codex looks for in the directories above a scenario's workdir: a
/// `.git` makes it take the workdir for part of that repository (its turn
/// diffs then name paths from there), a `.codex` or `.agents` adds project
/// config, skills and warnings. None may be in TMPDIR, where every scratch
/// dir is, or above it.
const CODEX_MARKERS: [&str; 3] = [".git", ".codex", ".agents"];

fn refuse_codex_markers_above(tmp: &Path) -> Result<()> {
    for dir in tmp.ancestors() {
        for marker in CODEX_MARKERS {
            let found = dir.join(marker);
            if std::fs::symlink_metadata(&found).is_ok() {
                return Err(hinted(
                    anyhow!(
                        "{} is in TMPDIR ({}) or above it: codex would read it as the scenarios' own (a git repository, project config), and the fixtures would show it",
                        found.display(),
                        tmp.display()
                    ),
                    "point TMPDIR at a directory with no .git, .codex or .agents above it; an empty one in /tmp is what codex's sandbox leaves when it is killed, and can be removed",
                ));
            }
        }
    }
    Ok(())
}

fn free_space(dir: &std::path::Path) -> Result<u64> {
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail * st.f_frsize)
}

//! One directory in the cache (a venv, the TypeScript SDK, a codex binary),
//! built once: concurrent runs wait on its lock, and it is used only once
//! marked complete, so an interrupted build is started over, never used.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

const COMPLETE_MARKER: &str = ".codex-harvest-complete";

/// `cache/<name>`, held under its lock while this value lives.
pub(super) struct Entry {
    pub dir: PathBuf,
    _lock: Lock,
}

impl Entry {
    /// Locks `cache/<name>`, waiting while another run builds it.
    pub fn lock(cache: &Path, name: &str) -> Result<Entry> {
        std::fs::create_dir_all(cache)
            .with_context(|| format!("creating the cache {}", cache.display()))?;
        Ok(Entry {
            _lock: Lock::acquire(&cache.join(format!("{name}.lock")))?,
            dir: cache.join(name),
        })
    }

    pub fn is_complete(&self) -> bool {
        self.dir.join(COMPLETE_MARKER).exists()
    }

    /// Removes what an interrupted build left, before building afresh.
    pub fn clear(&self) -> Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("removing the unfinished {}", self.dir.display()))?;
        }
        Ok(())
    }

    /// Marks the build finished: from now on the entry is used as it is.
    pub fn mark_complete(&self) -> Result<()> {
        let marker = self.dir.join(COMPLETE_MARKER);
        std::fs::write(&marker, "").with_context(|| format!("writing {}", marker.display()))
    }
}

/// An exclusive `flock` on a file, released when dropped.
struct Lock {
    _held: File,
}

impl Lock {
    fn acquire(path: &Path) -> Result<Lock> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        // SAFETY: flock on a descriptor we own; released when the file closes.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            bail!(
                "locking {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
        Ok(Lock { _held: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_once_marked_complete() {
        let cache = tempfile::tempdir().unwrap();
        let entry = Entry::lock(&cache.path().join("c"), "thing").unwrap();
        assert!(!entry.is_complete());
        std::fs::create_dir_all(entry.dir.join("half")).unwrap();
        entry.clear().unwrap();
        assert!(!entry.dir.exists(), "an interrupted build is started over");
        std::fs::create_dir_all(&entry.dir).unwrap();
        entry.mark_complete().unwrap();
        drop(entry);
        assert!(
            Entry::lock(&cache.path().join("c"), "thing")
                .unwrap()
                .is_complete()
        );
    }
}

//! One directory in the cache (a venv, the TypeScript SDK, a codex binary),
//! built once: concurrent runs wait on its lock, and it is used only once
//! marked complete, so an interrupted build is started over, never used.
//!
//! Marking it complete seals it: the marker lists every file the build left
//! (its sha256; a link's target), as installed from the pinned, hash-checked
//! artifacts. Each later use checks the entry against its seal ([`Entry::verify`]),
//! so a file changed, added or removed afterwards (an edited module, a `.pth`
//! or `.pyc` file dropped in) is refused by name instead of running as
//! "pinned". A marker without a seal (an older codex-harvest's) is an
//! unfinished build: the entry is built again.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::base::failure::hinted;

const COMPLETE_MARKER: &str = ".codex-harvest-complete";

/// Files at least this large are hashed through the fingerprint cache
/// (by file identity), so the 300 MB codex is not read on every run.
const LARGE: u64 = 1 << 20;

/// Relative path → `sha256:<hex>` or `link:<target>`.
type Seal = BTreeMap<String, String>;

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

    /// Locks `cache/<name>` if no other run holds it now.
    pub fn try_lock(cache: &Path, name: &str) -> Result<Option<Entry>> {
        Ok(
            Lock::try_acquire(&cache.join(format!("{name}.lock")))?.map(|lock| Entry {
                _lock: lock,
                dir: cache.join(name),
            }),
        )
    }

    pub fn is_complete(&self) -> bool {
        self.seal().is_some()
    }

    fn seal(&self) -> Option<Seal> {
        let bytes = std::fs::read(self.dir.join(COMPLETE_MARKER)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Removes what an interrupted build left, before building afresh.
    pub fn clear(&self) -> Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("removing the unfinished {}", self.dir.display()))?;
        }
        Ok(())
    }

    /// Marks the build finished and seals what it holds: from now on the
    /// entry is used while every file is as it is now.
    pub fn mark_complete(&self) -> Result<()> {
        let seal = self.listing()?;
        let marker = self.dir.join(COMPLETE_MARKER);
        let bytes = serde_json::to_vec_pretty(&seal).expect("a seal serialises");
        std::fs::write(&marker, bytes).with_context(|| format!("writing {}", marker.display()))
    }

    /// Checks a complete entry against its seal; an error names the files
    /// that differ and says how to rebuild.
    pub fn verify(&self) -> Result<()> {
        let seal = self
            .seal()
            .ok_or_else(|| anyhow!("{} is not a complete build", self.dir.display()))?;
        let now = self.listing()?;
        let mut differ: Vec<String> = Vec::new();
        for (path, sealed) in &seal {
            match now.get(path) {
                None => differ.push(format!("{path} (removed)")),
                Some(found) if found != sealed => differ.push(format!("{path} (changed)")),
                Some(_) => {}
            }
        }
        differ.extend(
            now.keys()
                .filter(|p| !seal.contains_key(*p))
                .map(|p| format!("{p} (added)")),
        );
        if differ.is_empty() {
            return Ok(());
        }
        let shown: Vec<&str> = differ.iter().take(5).map(String::as_str).collect();
        let more = match differ.len() - shown.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        Err(hinted(
            anyhow!(
                "the cached {} is not as it was installed from the pins: {}{more}",
                self.dir.display(),
                shown.join(", ")
            ),
            format!(
                "delete {} and run again (it is provisioned afresh from the pins)",
                self.dir.display()
            ),
        ))
    }

    /// Every file below the entry but its marker.
    fn listing(&self) -> Result<Seal> {
        let mut seal = Seal::new();
        let cache = self.dir.parent();
        walk(&self.dir, "", cache, &mut seal)?;
        seal.remove(COMPLETE_MARKER);
        Ok(seal)
    }
}

fn walk(dir: &Path, prefix: &str, cache: Option<&Path>, seal: &mut Seal) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let rel = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        let meta = entry
            .metadata()
            .with_context(|| format!("reading {}", path.display()))?;
        let what = if meta.is_symlink() {
            let target =
                std::fs::read_link(&path).with_context(|| format!("reading {}", path.display()))?;
            format!("link:{}", target.display())
        } else if meta.is_dir() {
            walk(&path, &format!("{rel}/"), cache, seal)?;
            continue;
        } else if meta.len() >= LARGE {
            format!("sha256:{}", super::fingerprint::sha256(&path, cache)?)
        } else {
            format!("sha256:{}", crate::base::digest::sha256_file(&path)?)
        };
        seal.insert(rel, what);
    }
    Ok(())
}

/// An exclusive `flock` on a file, released when dropped.
struct Lock {
    _held: File,
}

impl Lock {
    fn try_acquire(path: &Path) -> Result<Option<Lock>> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        use rustix::fs::{FlockOperation, flock};
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(Lock { _held: file })),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
            Err(e) => Err(e).with_context(|| format!("locking {}", path.display())),
        }
    }

    fn acquire(path: &Path) -> Result<Lock> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        // Released when the file closes; a stop while another run builds
        // the entry ends the wait.
        use rustix::fs::{FlockOperation, flock};
        crate::base::interrupt::until(|| {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => Ok(Some(())),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
                Err(e) => Err(e).with_context(|| format!("locking {}", path.display())),
            }
        })?;
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

    #[test]
    fn a_file_changed_added_or_removed_after_the_build_is_named() {
        let cache = tempfile::tempdir().unwrap();
        let entry = Entry::lock(cache.path(), "thing").unwrap();
        std::fs::create_dir_all(entry.dir.join("pkg/__pycache__")).unwrap();
        std::fs::write(entry.dir.join("pkg/client.py"), "x = 1\n").unwrap();
        std::fs::write(entry.dir.join("pkg/__pycache__/client.pyc"), "code").unwrap();
        std::os::unix::fs::symlink("/usr/bin/python3", entry.dir.join("python")).unwrap();
        entry.mark_complete().unwrap();
        entry.verify().unwrap();
        std::fs::write(entry.dir.join("pkg/client.py"), "x = 2\n").unwrap();
        std::fs::write(entry.dir.join("hook.pth"), "import os").unwrap();
        std::fs::remove_file(entry.dir.join("pkg/__pycache__/client.pyc")).unwrap();
        let err = entry.verify().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the cached {} is not as it was installed from the pins: pkg/__pycache__/client.pyc (removed), pkg/client.py (changed), hook.pth (added)",
                entry.dir.display()
            )
        );
        assert_eq!(
            crate::base::failure::hints(&err),
            [format!(
                "delete {} and run again (it is provisioned afresh from the pins)",
                entry.dir.display()
            )]
        );
        // An unsealed marker (an older build's) is no complete build.
        std::fs::write(entry.dir.join(COMPLETE_MARKER), "").unwrap();
        assert!(!entry.is_complete());
    }
}

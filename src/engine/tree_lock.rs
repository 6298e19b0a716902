//! One writer per fixtures tree. A harvest holds an exclusive `flock` while
//! it reads the committed tree, assembles the new one and swaps it in;
//! `check` and `verify` hold a shared one while they read. The lock is taken
//! on the tree's parent directory, which outlives the swap and needs no lock
//! file, so readers never write under the project root. A run that finds the
//! lock taken says so and waits.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

#[derive(Debug)]
pub struct TreeLock {
    _held: File,
}

impl TreeLock {
    /// For reading `tree`; `None` when its parent does not exist (there is
    /// nothing to read).
    pub fn shared(tree: &Path) -> Result<Option<TreeLock>> {
        let parent = parent(tree);
        if !parent.is_dir() {
            return Ok(None);
        }
        Self::take(tree, &parent, false, "reading").map(Some)
    }

    /// For replacing `tree`; creates its parent.
    pub fn exclusive(tree: &Path) -> Result<TreeLock> {
        let parent = parent(tree);
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        Self::take(tree, &parent, true, "writing")
    }

    fn take(tree: &Path, parent: &Path, exclusive: bool, doing: &str) -> Result<TreeLock> {
        use rustix::fs::{FlockOperation, flock};
        let now = match exclusive {
            true => FlockOperation::NonBlockingLockExclusive,
            false => FlockOperation::NonBlockingLockShared,
        };
        let dir = File::open(parent).with_context(|| format!("opening {}", parent.display()))?;
        match flock(&dir, now) {
            Ok(()) => return Ok(TreeLock { _held: dir }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {}
            Err(e) => bail!("locking {} for {doing}: {e}", parent.display()),
        }
        crate::errln!(
            "waiting: another codex-harvest is writing {} (or reading it, for a harvest)",
            tree.display()
        );
        crate::base::interrupt::until(|| match flock(&dir, now) {
            Ok(()) => Ok(Some(())),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
            Err(e) => bail!("locking {} for {doing}: {e}", parent.display()),
        })?;
        Ok(TreeLock { _held: dir })
    }
}

fn parent(tree: &Path) -> PathBuf {
    match tree.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_writer_waits_for_readers_and_readers_share() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("fixtures");
        let r1 = TreeLock::shared(&tree).unwrap().unwrap();
        let _r2 = TreeLock::shared(&tree).unwrap().unwrap();
        let (tx, rx) = mpsc::channel();
        let t = tree.clone();
        let writer = std::thread::spawn(move || {
            let _w = TreeLock::exclusive(&t).unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        drop(r1);
        drop(_r2);
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        writer.join().unwrap();
    }

    #[test]
    fn no_parent_means_nothing_to_lock_for_readers() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            TreeLock::shared(&dir.path().join("no/such/tree"))
                .unwrap()
                .is_none()
        );
    }
}

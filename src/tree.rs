//! A fixtures tree in memory (relative path → bytes), read from disk and
//! committed back as one step: the whole new tree is staged beside the old
//! one and the two directories are swapped, so a reader sees the old tree or
//! the new one, never a mix, whatever happens part way.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::failure::hinted;
use anyhow::{Context, Result, anyhow, bail};

/// Relative `/`-separated paths to contents, sorted.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Reads every file below `dir`; a missing dir is an empty tree. Only
/// regular files and directories are read: anything else (a FIFO would
/// block the read, a symlink could point outside) is refused by name.
pub fn read(dir: &Path) -> Result<Tree> {
    let mut tree = Tree::new();
    if dir.exists() {
        walk(dir, "", &mut tree)?;
    }
    Ok(tree)
}

fn walk(dir: &Path, prefix: &str, tree: &mut Tree) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading the directory {}", dir.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            bail!("{} has a file name that is not UTF-8", dir.display());
        };
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), tree)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("reading {}", entry.path().display()))?;
            tree.insert(rel, bytes);
        } else {
            return Err(hinted(
                anyhow!(
                    "{} is not a regular file ({})",
                    entry.path().display(),
                    describe(&kind)
                ),
                "a fixtures tree holds only regular files and directories; remove it",
            ));
        }
    }
    Ok(())
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_symlink() {
        "a symlink"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Writes `bytes` to `path` so that readers see the old or the new file,
/// never a half-written one. The new file gets the mode `create` gives
/// (0666 less the umask), not the temp file's 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = parent.join(format!(".{name}.codex-harvest-{}", std::process::id()));
    let mut guard = Staged(Some(tmp.clone()));
    write_file(&tmp, bytes)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    guard.0 = None;
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Replaces the tree at `dir` with `tree` in one step. The new tree is
/// written in full to a sibling directory first; only then are the two
/// swapped (`renameat2(RENAME_EXCHANGE)`), and the old tree, now in the
/// sibling, is removed. A failure or a signal before the swap leaves the old
/// tree untouched; nothing is ever written inside `dir` itself.
///
/// The caller holds the tree's exclusive [`crate::tree_lock::TreeLock`] and
/// has removed what a killed run left ([`remove_stale_staging`]).
pub fn commit(dir: &Path, tree: &Tree) -> Result<()> {
    let parent = dir
        .parent()
        .with_context(|| format!("{} has no parent directory", dir.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = staging_path(dir, "new");
    let guard = Staged(Some(staging.clone()));
    let _removal = crate::interrupt::remove_on_forced_exit(&staging);
    std::fs::create_dir(&staging)
        .with_context(|| format!("creating the staging directory {}", staging.display()))?;
    for (rel, bytes) in tree {
        let path = staging.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        write_file(&path, bytes)?;
    }
    sync_dir(&staging)?;
    crate::interrupt::check()?;
    if dir.exists() {
        exchange(&staging, dir)?;
        // The swap is done: the new tree is in place whatever happens next.
        if let Err(e) = std::fs::remove_dir_all(&staging) {
            crate::errln!(
                "warning: the new tree is in place, but the old one could not be removed from {}: {e}",
                staging.display()
            );
        }
    } else {
        std::fs::rename(&staging, dir)
            .with_context(|| format!("moving the new tree to {}", dir.display()))?;
    }
    std::mem::forget(guard);
    sync_dir(parent)
}

/// `.<name>.codex-harvest-<what>-<pid>` beside `dir`.
fn staging_path(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    dir.with_file_name(format!(
        ".{name}.codex-harvest-{what}-{}",
        std::process::id()
    ))
}

/// A run killed with SIGKILL part way leaves its staging directory; the next
/// writer (holding the lock) removes it, whether or not it writes.
pub fn remove_stale_staging(dir: &Path) -> Result<()> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.codex-harvest-");
    for entry in
        std::fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))?
    {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let path = entry.path();
            let removed = if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| {
                format!(
                    "removing {}, left by an interrupted harvest",
                    path.display()
                )
            })?;
        }
    }
    Ok(())
}

/// Removes a staged path unless disarmed: every early return cleans up.
struct Staged(Option<PathBuf>);

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

fn cstring(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .with_context(|| format!("{} contains a NUL byte", path.display()))
}

/// Swaps two directories atomically.
fn exchange(a: &Path, b: &Path) -> Result<()> {
    let (ca, cb) = (cstring(a)?, cstring(b)?);
    #[cfg(target_os = "linux")]
    // SAFETY: both pointers are valid NUL-terminated paths for the call's duration.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    #[cfg(target_os = "macos")]
    // SAFETY: as above.
    let rc = unsafe { libc::renamex_np(ca.as_ptr(), cb.as_ptr(), libc::RENAME_SWAP) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("swapping the new tree into {}", b.display()));
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn sample() -> Tree {
        Tree::from([
            ("a/b.jsonl".to_string(), b"{}\n".to_vec()),
            ("c.json".to_string(), b"[]\n".to_vec()),
        ])
    }

    #[test]
    fn commit_replaces_the_whole_tree_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        commit(&fixtures, &sample()).unwrap();
        assert_eq!(read(&fixtures).unwrap(), sample());
        let mut next = sample();
        next.remove("a/b.jsonl");
        next.insert("d.jsonl".into(), b"{}\n".to_vec());
        commit(&fixtures, &next).unwrap();
        assert_eq!(read(&fixtures).unwrap(), next);
        let siblings: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(siblings, ["fixtures"]);
    }

    #[test]
    fn committed_files_follow_the_umask_not_0600() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        commit(&fixtures, &sample()).unwrap();
        write_atomic(&dir.path().join("checklist.md"), b"x").unwrap();
        for p in [fixtures.join("c.json"), dir.path().join("checklist.md")] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_ne!(mode, 0o600, "{}", p.display());
            assert_eq!(mode & 0o044, 0o044, "{}: {mode:o}", p.display());
        }
    }

    #[test]
    fn a_staging_dir_left_by_a_killed_run_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        let stale = dir.path().join(".fixtures.codex-harvest-new-1");
        std::fs::create_dir_all(stale.join("python")).unwrap();
        commit(&fixtures, &sample()).unwrap();
        assert!(stale.exists(), "commit leaves it to the caller");
        remove_stale_staging(&fixtures).unwrap();
        assert!(!stale.exists());
        assert_eq!(read(&fixtures).unwrap(), sample());
    }

    #[test]
    fn a_fifo_is_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = cstring(&dir.path().join("pipe")).unwrap();
        // SAFETY: a valid path; creates a FIFO in a temp dir.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pipe is not a regular file (a FIFO)"), "{err}");
        assert!(read(&dir.path().join("missing")).unwrap().is_empty());
    }
}

//! A fixtures tree in memory (relative path → bytes), read from disk and
//! committed back as one step: the whole new tree is staged beside the old
//! one and the two directories are swapped, so a reader sees the old tree or
//! the new one, never a mix, whatever happens part way.
//!
//! Files outside the tree that are generated from it (the parity docs) are
//! *companions* of the commit: each is staged beside itself first, under a
//! name that carries the new tree's manifest digest, and renamed into place
//! after the swap. The swap is the commit point: a companion staged for the
//! tree that is in place is that file's committed content, which readers
//! take ([`companion`]) and the next writer renames into place
//! ([`settle_companions`]); one staged for another tree is dropped.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::base::failure::hinted;
use crate::base::fs::{sync_dir, write_file};
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

/// The tree at `dir` and the companions `docs` as its commit left them
/// ([`companion`]), read together while no harvest is replacing them.
pub fn read_locked(dir: &Path, docs: &[PathBuf]) -> Result<(Tree, Vec<Option<Vec<u8>>>)> {
    let _lock = crate::engine::tree_lock::TreeLock::shared(dir)?;
    let tree = read(dir)?;
    let docs = docs
        .iter()
        .map(|d| companion(d, &tree))
        .collect::<Result<_>>()?;
    Ok((tree, docs))
}

/// A file generated from the tree, committed with it.
pub type Companion = (PathBuf, Vec<u8>);

/// The digest that names a companion staged for `tree`.
fn tree_key(tree: &Tree) -> String {
    let manifest = tree
        .get(crate::engine::fixture_path::MANIFEST_FILE)
        .map_or(&[][..], Vec::as_slice);
    crate::base::digest::sha256_hex(manifest)[..16].to_string()
}

/// `.<name>.codex-harvest-for-` beside `path`: a companion's staged copies.
fn staged_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.codex-harvest-for-")
}

/// Staged copies of `path`, with the key each names.
fn staged_companions(path: &Path) -> Result<Vec<(PathBuf, String)>> {
    let Some(parent) = path.parent().filter(|p| p.is_dir()) else {
        return Ok(Vec::new());
    };
    let prefix = staged_prefix(path);
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))?
    {
        let entry = entry.with_context(|| format!("reading {}", parent.display()))?;
        if let Some(key) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
        {
            out.push((entry.path(), key.to_string()));
        }
    }
    Ok(out)
}

/// `path`'s content as the last commit left it: its staged copy for the
/// tree in place, if a killed run left one, else the file.
pub fn companion(path: &Path, tree: &Tree) -> Result<Option<Vec<u8>>> {
    let key = tree_key(tree);
    let source = staged_companions(path)?
        .into_iter()
        .find(|(_, k)| *k == key)
        .map_or_else(|| path.to_path_buf(), |(p, _)| p);
    match std::fs::read(&source) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", source.display())),
    }
}

/// Finishes what a killed commit left of `paths`: a staged copy for the
/// tree in place is renamed into place, any other is removed. The caller
/// holds the tree's exclusive lock.
pub fn settle_companions(tree: &Tree, paths: &[PathBuf]) -> Result<()> {
    let key = tree_key(tree);
    for path in paths {
        for (staged, k) in staged_companions(path)? {
            if k == key {
                std::fs::rename(&staged, path)
                    .with_context(|| format!("replacing {}", path.display()))?;
            } else {
                std::fs::remove_file(&staged).with_context(|| {
                    format!(
                        "removing {}, left by an interrupted harvest",
                        staged.display()
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Replaces the tree at `dir` with `tree` in one step (`replace_tree`;
/// without it the tree stays as it is, and only `companions` are written),
/// together with its companions. The new tree is
/// written in full to a sibling directory first; only then are the two
/// swapped (`renameat2(RENAME_EXCHANGE)`), and the old tree, now in the
/// sibling, is removed. A failure or a signal before the swap leaves the old
/// tree untouched; nothing is ever written inside `dir` itself.
///
/// The caller holds the tree's exclusive [`crate::engine::tree_lock::TreeLock`] and
/// has removed what a killed run left ([`remove_stale_staging`]).
pub fn commit(dir: &Path, tree: &Tree, replace_tree: bool, companions: &[Companion]) -> Result<()> {
    let key = tree_key(tree);
    let mut staged = Vec::new();
    let mut guards = Vec::new();
    for (path, bytes) in companions {
        let copy = path.with_file_name(format!("{}{key}", staged_prefix(path)));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        guards.push(Staged(Some(copy.clone())));
        write_file(&copy, bytes)?;
        staged.push((copy, path));
    }
    if replace_tree {
        swap_in(dir, tree)?;
    }
    for guard in &mut guards {
        guard.0 = None;
    }
    for (copy, path) in staged {
        std::fs::rename(&copy, path).with_context(|| format!("replacing {}", path.display()))?;
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// The tree part of [`commit`]: staged in full beside `dir`, then swapped.
fn swap_in(dir: &Path, tree: &Tree) -> Result<()> {
    let staged = stage(dir, tree)?;
    crate::base::interrupt::check()?;
    staged.swap()
}

/// A new tree written in full beside the tree it is to replace, removed
/// unless swapped in.
pub struct StagedTree {
    dir: PathBuf,
    staging: PathBuf,
    guard: Staged,
    _removal: crate::base::interrupt::Removal,
}

/// Writes `tree` in full beside `dir`, keeping what of the old tree it
/// keeps as it is ([`carry_over`]); the caller holds `dir`'s exclusive lock.
pub fn stage(dir: &Path, tree: &Tree) -> Result<StagedTree> {
    let parent = dir
        .parent()
        .with_context(|| format!("{} has no parent directory", dir.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = staging_path(dir, "new");
    let guard = Staged(Some(staging.clone()));
    let removal = crate::base::interrupt::remove_on_forced_exit(&staging);
    std::fs::create_dir(&staging)
        .with_context(|| format!("creating the staging directory {}", staging.display()))?;
    let modes = match dir.exists() {
        true => carry_over(dir, &staging, "", tree)?,
        false => Vec::new(),
    };
    for (rel, bytes) in tree {
        let path = staging.join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        write_file(&path, bytes)?;
    }
    // Deepest first, so a directory without write permission is filled
    // before it gets its mode.
    for (path, mode) in modes.iter().rev() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
            .with_context(|| format!("setting the mode of {}", path.display()))?;
    }
    sync_dir(&staging)?;
    Ok(StagedTree {
        dir: dir.to_path_buf(),
        staging,
        guard,
        _removal: removal,
    })
}

impl StagedTree {
    /// Swaps the staged tree in: after this, the new tree is in place.
    pub fn swap(mut self) -> Result<()> {
        let (dir, staging) = (self.dir.as_path(), self.staging.as_path());
        let parent = dir.parent().expect("a staged tree has a parent");
        swap_dirs(dir, staging)?;
        self.guard.0 = None;
        sync_dir(parent)
    }
}

/// Puts `staging` where `dir` is and removes the old tree.
fn swap_dirs(dir: &Path, staging: &Path) -> Result<()> {
    if dir.exists() {
        let old = match exchange(staging, dir) {
            Ok(()) => staging.to_path_buf(),
            Err(e) if cannot_exchange(&e) => replace_by_renames(staging, dir)?,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("swapping the new tree into {}", dir.display()));
            }
        };
        // The swap is done: the new tree is in place whatever happens next.
        if let Err(e) = std::fs::remove_dir_all(&old) {
            crate::errln!(
                "warning: the new tree is in place, but the old one could not be removed from {}: {e}",
                old.display()
            );
        }
    } else {
        std::fs::rename(staging, dir)
            .with_context(|| format!("moving the new tree to {}", dir.display()))?;
    }
    Ok(())
}

/// Lays into `new` what of the old tree at `old` the new tree keeps as it
/// is: every directory (an empty one too), and every file whose bytes stay
/// the same, linked rather than rewritten so that its mode and identity are
/// kept. Returns each directory made with the mode it is to get.
fn carry_over(old: &Path, new: &Path, prefix: &str, tree: &Tree) -> Result<Vec<(PathBuf, u32)>> {
    let mut modes = vec![(new.to_path_buf(), mode_of(old)?)];
    for entry in std::fs::read_dir(old).with_context(|| format!("reading {}", old.display()))? {
        let entry = entry.with_context(|| format!("reading {}", old.display()))?;
        let name = entry.file_name();
        let rel = format!("{prefix}{}", name.to_string_lossy());
        let (from, to) = (entry.path(), new.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir(&to).with_context(|| format!("creating {}", to.display()))?;
            modes.extend(carry_over(&from, &to, &format!("{rel}/"), tree)?);
        } else if kind.is_file()
            && tree
                .get(&rel)
                .is_some_and(|bytes| std::fs::read(&from).is_ok_and(|now| now == *bytes))
            && std::fs::hard_link(&from, &to).is_err()
        {
            std::fs::copy(&from, &to)
                .with_context(|| format!("copying {} into the new tree", from.display()))?;
        }
    }
    Ok(modes)
}

fn mode_of(path: &Path) -> Result<u32> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading the mode of {}", path.display()))?
        .permissions()
        .mode()
        & 0o7777)
}

/// Whether the filesystem refused to swap (overlayfs, NFS, an old kernel)
/// rather than the swap failing.
fn cannot_exchange(e: &std::io::Error) -> bool {
    [libc::EINVAL, libc::ENOSYS, libc::ENOTSUP, libc::EOPNOTSUPP]
        .contains(&e.raw_os_error().unwrap_or(0))
}

/// Where the filesystem cannot swap: the old tree renamed aside, then the
/// new one into place; returns where the old tree now is. Lock-taking
/// readers never see the moment between the two renames (the writer holds
/// the lock); a run killed in it leaves no tree at `dir` and the old one
/// aside, which the next writer puts back ([`remove_stale_staging`]).
fn replace_by_renames(staging: &Path, dir: &Path) -> Result<PathBuf> {
    let old = staging_path(dir, "old");
    std::fs::rename(dir, &old)
        .with_context(|| format!("moving the old tree {} aside", dir.display()))?;
    if let Err(e) = std::fs::rename(staging, dir) {
        let restored = std::fs::rename(&old, dir);
        return Err(e).with_context(|| match restored {
            Ok(()) => format!(
                "moving the new tree to {}; the old one is back",
                dir.display()
            ),
            Err(r) => format!(
                "moving the new tree to {}; the old one is at {} ({r})",
                dir.display(),
                old.display()
            ),
        });
    }
    Ok(old)
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
    // Killed between the two renames of `replace_by_renames`: the old tree
    // goes back, so the tree is entirely old.
    if !dir.exists() {
        for entry in
            std::fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))?
        {
            let entry = entry?;
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("{prefix}old-"))
            {
                std::fs::rename(entry.path(), dir).with_context(|| {
                    format!(
                        "putting back {}, the tree an interrupted harvest had moved aside",
                        entry.path().display()
                    )
                })?;
                break;
            }
        }
    }
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

#[cfg(target_os = "macos")]
fn cstring(path: &Path) -> std::io::Result<std::ffi::CString> {
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

/// Swaps two directories atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// Swaps two directories atomically.
#[cfg(target_os = "macos")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let (ca, cb) = (cstring(a)?, cstring(b)?);
    // SAFETY: both pointers are valid NUL-terminated paths for the call's
    // duration (rustix has no wrapper for renamex_np).
    let rc = unsafe { libc::renamex_np(ca.as_ptr(), cb.as_ptr(), libc::RENAME_SWAP) };
    match rc {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::fs::write_atomic;

    fn sample() -> Tree {
        Tree::from([
            ("a/b.jsonl".to_string(), b"{}\n".to_vec()),
            ("c.json".to_string(), b"[]\n".to_vec()),
        ])
    }

    /// Where the filesystem cannot swap: the renames replace the tree, and
    /// a run killed between them is put back to the old tree by the next
    /// writer.
    #[test]
    fn a_tree_is_replaced_by_renames_and_a_kill_between_them_leaves_the_old_tree() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        commit(&fixtures, &sample(), true, &[]).unwrap();
        let mut next = sample();
        next.insert("d.jsonl".into(), b"{}\n".to_vec());
        let staging = dir.path().join(".fixtures.codex-harvest-new-1");
        commit(&staging, &next, true, &[]).unwrap();
        let old = replace_by_renames(&staging, &fixtures).unwrap();
        assert_eq!(read(&fixtures).unwrap(), next);
        assert_eq!(read(&old).unwrap(), sample());

        // Killed after the first rename: no tree, the old one aside, the
        // new one staged.
        std::fs::rename(&fixtures, dir.path().join(".fixtures.codex-harvest-new-2")).unwrap();
        std::fs::rename(&old, dir.path().join(".fixtures.codex-harvest-old-2")).unwrap();
        remove_stale_staging(&fixtures).unwrap();
        assert_eq!(read(&fixtures).unwrap(), sample());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(cannot_exchange(&std::io::Error::from_raw_os_error(
            libc::EINVAL
        )));
        assert!(!cannot_exchange(&std::io::Error::from_raw_os_error(
            libc::EACCES
        )));
    }

    #[test]
    fn commit_replaces_the_whole_tree_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        commit(&fixtures, &sample(), true, &[]).unwrap();
        assert_eq!(read(&fixtures).unwrap(), sample());
        let mut next = sample();
        next.remove("a/b.jsonl");
        next.insert("d.jsonl".into(), b"{}\n".to_vec());
        commit(&fixtures, &next, true, &[]).unwrap();
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
        commit(&fixtures, &sample(), true, &[]).unwrap();
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
        commit(&fixtures, &sample(), true, &[]).unwrap();
        assert!(stale.exists(), "commit leaves it to the caller");
        remove_stale_staging(&fixtures).unwrap();
        assert!(!stale.exists());
        assert_eq!(read(&fixtures).unwrap(), sample());
    }

    /// What a SIGKILL between the swap and a companion's rename leaves: the
    /// staged copy for the tree in place is the committed doc, for readers
    /// and for the next writer; one for another tree is dropped.
    #[test]
    fn a_companion_staged_for_the_tree_in_place_is_its_committed_content() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        let doc = dir.path().join("docs/report.md");
        let mut old = sample();
        old.insert(
            crate::engine::fixture_path::MANIFEST_FILE.into(),
            b"old sums\n".to_vec(),
        );
        commit(&fixtures, &old, true, &[(doc.clone(), b"old doc".to_vec())]).unwrap();
        assert_eq!(std::fs::read(&doc).unwrap(), b"old doc");
        let mut new = old.clone();
        new.insert(
            crate::engine::fixture_path::MANIFEST_FILE.into(),
            b"new sums\n".to_vec(),
        );
        // The killed commit: the new tree swapped in, its doc only staged.
        let staged = doc.with_file_name(format!(".report.md.codex-harvest-for-{}", tree_key(&new)));
        std::fs::write(&staged, b"new doc").unwrap();
        let other = doc.with_file_name(".report.md.codex-harvest-for-0123456789abcdef");
        std::fs::write(&other, b"a doc for a tree never swapped in").unwrap();
        swap_in(&fixtures, &new).unwrap();
        assert_eq!(companion(&doc, &new).unwrap().unwrap(), b"new doc");
        assert_eq!(companion(&doc, &old).unwrap().unwrap(), b"old doc");
        settle_companions(&new, std::slice::from_ref(&doc)).unwrap();
        assert_eq!(std::fs::read(&doc).unwrap(), b"new doc");
        let left: Vec<_> = std::fs::read_dir(doc.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["report.md"]);
        assert_eq!(
            companion(&dir.path().join("docs/none.md"), &new).unwrap(),
            None
        );
    }

    #[test]
    fn a_fifo_is_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        use rustix::fs::{CWD, FileType, Mode, mknodat};
        mknodat(
            CWD,
            dir.path().join("pipe"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pipe is not a regular file (a FIFO)"), "{err}");
        assert!(read(&dir.path().join("missing")).unwrap().is_empty());
    }
}

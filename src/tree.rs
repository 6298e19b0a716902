//! A fixtures tree in memory (relative path → bytes), read from disk and
//! written back file by file with temp-file-and-rename.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Relative `/`-separated paths to contents, sorted.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Reads every file below `dir`; a missing dir is an empty tree.
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
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            bail!("{} has a file name that is not UTF-8", dir.display());
        };
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), tree)?;
        } else {
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("reading {}", entry.path().display()))?;
            tree.insert(rel, bytes);
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` so that readers see the old or the new file,
/// never a half-written one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".codex-harvest-")
        .tempfile_in(parent)
        .with_context(|| format!("creating a temp file in {}", parent.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// Writes every file of `tree` below `dir` whose contents differ; returns
/// the paths written.
pub fn write_changed(dir: &Path, tree: &Tree, on_disk: &Tree) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (rel, bytes) in tree {
        if on_disk.get(rel) != Some(bytes) {
            write_atomic(&dir.join(rel), bytes)?;
            written.push(rel.clone());
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_writes_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut tree = Tree::new();
        tree.insert("a/b.jsonl".into(), b"{}\n".to_vec());
        tree.insert("c.json".into(), b"[]\n".to_vec());
        assert_eq!(
            write_changed(dir.path(), &tree, &Tree::new())
                .unwrap()
                .len(),
            2
        );
        let back = read(dir.path()).unwrap();
        assert_eq!(back, tree);
        tree.insert("c.json".into(), b"[1]\n".to_vec());
        assert_eq!(write_changed(dir.path(), &tree, &back).unwrap(), ["c.json"]);
        assert_eq!(read(dir.path()).unwrap(), tree);
        assert!(read(&dir.path().join("missing")).unwrap().is_empty());
    }
}

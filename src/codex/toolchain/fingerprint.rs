//! The sha256 of a binary, remembered by file identity (device, inode, size,
//! modification and change times) in the cache, so that checking the 300 MB
//! codex against its pin costs a hash once, not on every run. Any write to
//! the file moves its change time, so a modified binary is always rehashed.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::base::digest;

const CACHE_FILE: &str = "binary-sha256.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    identity: Identity,
    sha256: String,
}

fn identity(path: &Path) -> Result<Identity> {
    let m = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Identity {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
    })
}

/// The sha256 of `path`; `cache` (a directory) remembers it when given and
/// writable. A cache that cannot be read or written is only a slower run.
pub fn sha256(path: &Path, cache: Option<&Path>) -> Result<String> {
    let path = path
        .canonicalize()
        .with_context(|| format!("resolving {}", path.display()))?;
    let before = identity(&path)?;
    let file = cache.map(|c| c.join(CACHE_FILE));
    let mut known: BTreeMap<PathBuf, Entry> = file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(e) = known.get(&path)
        && e.identity == before
    {
        return Ok(e.sha256.clone());
    }
    let sha256 = digest::sha256_file(&path)?;
    // Remember only what was stable while it was read.
    if identity(&path)? == before
        && let Some(f) = file
    {
        known.insert(
            path,
            Entry {
                identity: before,
                sha256: sha256.clone(),
            },
        );
        if let Ok(bytes) = serde_json::to_vec_pretty(&known) {
            let _ = crate::base::fs::write_atomic(&f, &bytes);
        }
    }
    Ok(sha256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_changed_file_is_rehashed_an_unchanged_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("codex");
        std::fs::write(&bin, b"binary").unwrap();
        let first = sha256(&bin, Some(dir.path())).unwrap();
        assert_eq!(first, digest::sha256_hex(b"binary"));
        assert!(dir.path().join(CACHE_FILE).is_file());
        assert_eq!(sha256(&bin, Some(dir.path())).unwrap(), first);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&bin)
            .unwrap()
            .write_all(b"!")
            .unwrap();
        assert_eq!(
            sha256(&bin, Some(dir.path())).unwrap(),
            digest::sha256_hex(b"binary!")
        );
        assert_eq!(sha256(&bin, None).unwrap(), digest::sha256_hex(b"binary!"));
    }
}

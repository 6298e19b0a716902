//! Writing a file so that it is whole or absent, and making a rename last.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` so that readers see the old or the new file,
/// never a half-written one, and the rename survives a crash (the directory
/// is synced). The temp file beside it has an unpredictable name and is
/// created exclusively, so nothing planted there (a symlink) is followed;
/// the rename replaces a symlink at `path` rather than writing through it.
/// The new file gets the mode `create` gives (0666 less the umask), not a
/// temp file's 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let (tmp, parent) = staged(path, bytes)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", path.display()))?;
    sync_dir(parent)
}

/// [`write_atomic`] for a new file: when `path` is there already, it is
/// left as it is and nothing is written.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let (tmp, parent) = staged(path, bytes)?;
    tmp.persist_noclobber(path)
        .map_err(|e| e.error)
        .with_context(|| format!("creating {}", path.display()))?;
    sync_dir(parent)
}

/// `bytes` in a synced temp file beside `path`, and `path`'s directory.
fn staged<'a>(path: &'a Path, bytes: &[u8]) -> Result<(tempfile::NamedTempFile, &'a Path)> {
    let parent = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.codex-harvest-"))
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(parent)
        .with_context(|| format!("creating a temp file beside {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    Ok((tmp, parent))
}

/// Writes `bytes` to a new `path` and syncs it (the caller renames it into place).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Syncs `dir`, so that a rename inside it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_a_symlink_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, "keep").unwrap();
        let target = dir.path().join("docs/report.md");
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &target).unwrap();
        // What the old predictable temp name would have been, planted.
        let planted = dir.path().join(format!(
            "docs/.report.md.codex-harvest-{}",
            std::process::id()
        ));
        std::os::unix::fs::symlink(&elsewhere, &planted).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let mut left: Vec<_> = std::fs::read_dir(dir.path().join("docs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let planted_name = planted.file_name().unwrap().to_str().unwrap();
        assert_eq!(left, [planted_name, "report.md"]);
    }
}

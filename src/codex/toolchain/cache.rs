//! What the cache holds, which of it a set of pins names on this machine,
//! and the removal of an entry no pin names. Only entries named as the
//! toolchain names them (`venv-`, `node-`, `codex-` and a hash) are ever
//! listed or removed: anything else in the directory is not this tool's.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::cache_entry::Entry;
use super::{base_python, codex, node, venv};
use crate::codex::pins::Pins;

/// One entry of the cache, with the room it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub name: String,
    pub path: PathBuf,
    /// Disk use, each file counted once however many links it has.
    pub bytes: u64,
}

/// Whether `name` is one the toolchain gives an entry: a venv, the
/// TypeScript SDK or a codex binary, named by the hashes of what it holds.
fn is_entry_name(name: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(key) = name.strip_prefix("venv-").or(name.strip_prefix("node-")) {
        return hex(key, 16);
    }
    name.strip_prefix("codex-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(binary, source)| hex(binary, 16) && hex(source, 8))
}

/// The entries of `cache`, by name.
pub fn held(cache: &Path) -> Result<Vec<Held>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(cache) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", cache.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", cache.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_entry_name(&name) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let bytes = disk_use(&path, &mut HashSet::new())?;
        out.push(Held { name, path, bytes });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn disk_use(dir: &Path, seen: &mut HashSet<(u64, u64)>) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let meta = entry
            .metadata()
            .with_context(|| format!("reading {}", entry.path().display()))?;
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        total += meta.blocks() * 512;
        if meta.is_dir() {
            total += disk_use(&entry.path(), seen)?;
        }
    }
    Ok(total)
}

/// What part of a project's pins an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The venv of the Python lock (with the codex the SDK bundles).
    PythonSdk,
    /// A codex binary the SDK does not bundle.
    Codex,
    /// The pinned TypeScript SDK.
    TypescriptSdk,
}

/// The entries `pins` use on this machine, each with the part it holds:
/// the venv of their lock (built from the `python3` on PATH), the codex
/// binary when the SDK bundles another, and the TypeScript SDK pinned in
/// `typescript_pin_dir`.
pub fn named_by(pins: &Pins, typescript_pin_dir: &Path) -> Result<Vec<(String, Part)>> {
    let base = base_python()?;
    let base = base
        .canonicalize()
        .with_context(|| format!("resolving {}", base.display()))?;
    let mut names = vec![(venv::entry_name(pins, &base)?, Part::PythonSdk)];
    if pins.sdk_runtime_differs().is_some() {
        names.push((codex::entry_name(pins)?, Part::Codex));
    }
    names.push((node::pinned_entry(typescript_pin_dir)?, Part::TypescriptSdk));
    Ok(names)
}

/// Removes the entry `name` of `cache` and its lock file, unless a run
/// holds its lock now (it is being built or checked): then false.
pub fn remove(cache: &Path, name: &str) -> Result<bool> {
    let Some(entry) = Entry::try_lock(cache, name)? else {
        return Ok(false);
    };
    std::fs::remove_dir_all(&entry.dir)
        .with_context(|| format!("removing {}", entry.dir.display()))?;
    let lock = cache.join(format!("{name}.lock"));
    drop(entry);
    match std::fs::remove_file(&lock) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", lock.display()))
        }
        _ => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_toolchains_names_are_entries() {
        for name in [
            "venv-18a6506b3665d1b2",
            "node-612e973eafca8460",
            "codex-0753dfe1d8b87a52-7ae804e4",
        ] {
            assert!(is_entry_name(name), "{name}");
        }
        for name in [
            "venv-18a6506b3665d1b2.lock",
            "durations.json",
            "venv-mine",
            "codex-0753dfe1d8b87a52",
            "codex-0753dfe1d8b87a52-7ae804e4-x",
            "photos",
        ] {
            assert!(!is_entry_name(name), "{name}");
        }
    }

    #[test]
    fn an_entry_is_listed_with_its_disk_use_and_removed_with_its_lock() {
        let cache = tempfile::tempdir().unwrap();
        let name = "node-0123456789abcdef";
        std::fs::create_dir_all(cache.path().join(name).join("lib")).unwrap();
        std::fs::write(cache.path().join(name).join("lib/a"), vec![1u8; 64 << 10]).unwrap();
        std::fs::hard_link(
            cache.path().join(name).join("lib/a"),
            cache.path().join(name).join("b"),
        )
        .unwrap();
        std::fs::write(cache.path().join(format!("{name}.lock")), "").unwrap();
        std::fs::create_dir(cache.path().join("mine")).unwrap();
        let held = held(cache.path()).unwrap();
        assert_eq!(held.len(), 1);
        assert!(
            (64 << 10..2 * (64 << 10)).contains(&held[0].bytes),
            "a file linked twice counts once: {}",
            held[0].bytes
        );
        assert!(remove(cache.path(), name).unwrap());
        let left: Vec<String> = std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["mine"]);
    }
}

//! One scenario's fixtures in a directory of their own, with a provenance
//! and a `SHA256SUMS` for that scenario alone: what `regenerate --into`
//! writes (one Nix derivation per scenario) and `check --regenerated` reads
//! back and lays over the committed tree, as if it had run them itself.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::base::failure::hinted;
use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::manifest::Sha256Sums;
use crate::engine::tree::{self, Tree};
use crate::harvest::jobs::Generated;
use crate::harvest::provenance::Provenance;

/// Refuses a `dir` that holds anything: a slice is written whole or not at
/// all, never over another one.
pub fn refuse_occupied(dir: &Path) -> Result<()> {
    let occupied = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    if occupied {
        return Err(hinted(
            anyhow!("{} is not empty; nothing was run", dir.display()),
            "give --into a new or empty directory",
        ));
    }
    Ok(())
}

/// Writes `tree` (a planned tree of one scenario) under `dir`.
pub fn write(dir: &Path, tree: &Tree) -> Result<()> {
    refuse_occupied(dir)?;
    for (rel, bytes) in tree {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The outputs and records of every slice in `dirs`, each checked against
/// its own `SHA256SUMS`; a file or scenario in two slices is refused.
pub fn read_all(dirs: &[PathBuf]) -> Result<Generated> {
    let mut generated = Generated::default();
    let mut from: std::collections::BTreeMap<String, &Path> = Default::default();
    for dir in dirs {
        let slice = read_one(dir)?;
        for (path, bytes) in slice.outputs {
            if let Some(other) = from.insert(path.clone(), dir) {
                bail!(
                    "{} and {} both hold {path}: give --regenerated one directory per scenario",
                    other.display(),
                    dir.display()
                );
            }
            generated.outputs.insert(path, bytes);
        }
        for (name, record) in slice.records {
            if generated.records.insert(name.clone(), record).is_some() {
                bail!("two --regenerated directories hold scenario {name}");
            }
        }
    }
    Ok(generated)
}

fn read_one(dir: &Path) -> Result<Generated> {
    let not_a_slice = |why: String| {
        hinted(
            anyhow!("{}: {why}", dir.display()),
            "pass directories written by `codex-harvest regenerate --into`",
        )
    };
    let mut tree = tree::read(dir)?;
    if tree.is_empty() {
        return Err(not_a_slice("no such directory, or it is empty".into()));
    }
    let sums = Sha256Sums::from_tree(&tree)?
        .ok_or_else(|| not_a_slice(format!("it has no {MANIFEST_FILE}")))?;
    if let Some(m) = sums.verify(&tree).first() {
        return Err(not_a_slice(format!(
            "{} does not match its {MANIFEST_FILE}: {}",
            m.path(),
            m.describe()
        )));
    }
    let provenance = Provenance::from_tree(&tree)?
        .ok_or_else(|| not_a_slice(format!("it has no {PROVENANCE_FILE}")))?;
    tree.remove(MANIFEST_FILE);
    tree.remove(PROVENANCE_FILE);
    Ok(Generated {
        outputs: tree,
        records: provenance.scenarios,
        partial: Default::default(),
    })
}

/// One line per component a slice's scenario ran with that was not the
/// pinned one, as `Toolchain::unpinned` says of a run.
pub fn unpinned(generated: &Generated) -> Vec<String> {
    let mut out: Vec<String> = generated
        .records
        .values()
        .flat_map(|r| &r.toolchain)
        .filter(|(_, c)| !c.pinned)
        .map(|(name, c)| format!("{name} {} is not the pinned one", c.version))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::provenance::ScenarioRecord;

    fn slice(dir: &Path, name: &str, file: &str) {
        let mut tree = Tree::from([(file.to_string(), b"{}\n".to_vec())]);
        let record = ScenarioRecord::new(vec![file.into()], Default::default(), Default::default());
        let provenance = Provenance {
            scenarios: [(name.to_string(), record)].into(),
        };
        tree.insert(PROVENANCE_FILE.into(), provenance.render());
        tree.insert(
            MANIFEST_FILE.into(),
            Sha256Sums::of(&tree).render().into_bytes(),
        );
        write(dir, &tree).unwrap();
    }

    #[test]
    fn slices_are_read_back_as_one_generation() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        slice(&a, "one", "python/one.jsonl");
        slice(&b, "two", "python/two.jsonl");
        let generated = read_all(&[a, b]).unwrap();
        assert_eq!(
            generated.outputs.keys().collect::<Vec<_>>(),
            ["python/one.jsonl", "python/two.jsonl"]
        );
        assert_eq!(generated.records.len(), 2);
    }

    #[test]
    fn an_edited_or_doubled_slice_is_refused_by_name() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        slice(&a, "one", "python/one.jsonl");
        slice(&b, "one", "python/one.jsonl");
        let err = read_all(&[a.clone(), b]).unwrap_err().to_string();
        assert!(err.contains("both hold python/one.jsonl"), "{err}");
        std::fs::write(a.join("python/one.jsonl"), "[]\n").unwrap();
        let err = read_all(&[a]).unwrap_err().to_string();
        assert!(err.contains("python/one.jsonl does not match"), "{err}");
    }

    #[test]
    fn a_slice_is_never_written_over_another() {
        let root = tempfile::tempdir().unwrap();
        slice(root.path(), "one", "python/one.jsonl");
        let err = write(root.path(), &Tree::new()).unwrap_err().to_string();
        assert!(err.contains("is not empty"), "{err}");
    }
}

//! The consumer's map, in `docs/coverage.md`: each fixture a consuming SDK
//! keeps by hand (`[consumer]` of `config/coverage.toml`), with the fixture
//! of ours that shows the same workflow, from the main pin's tree, or why
//! real codex cannot send what it holds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::engine::tree::Tree;

/// `[consumer]`: a repository's own fixtures and what answers each.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsumerMap {
    /// The repository (`owner/name`).
    pub repository: String,
    /// Where it keeps the fixtures mapped here.
    pub dir: String,
    pub fixtures: BTreeMap<String, Entry>,
}

/// One of the consumer's fixtures: ours that shows its workflow, or why
/// none can.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A file of the main pin's tree (`exec/thread_basic.jsonl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixture: Option<String>,
    /// What differs, or what to know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why no fixture of real codex can be what it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

impl ConsumerMap {
    /// Fails unless every entry names a fixture `tree` holds, or says why
    /// none can, and not both.
    pub fn checked(self, tree: &Tree) -> Result<ConsumerMap> {
        for (name, entry) in &self.fixtures {
            match (&entry.fixture, &entry.why_not) {
                (Some(f), None) if tree.contains_key(f.as_str()) => {}
                (Some(f), None) => bail!(
                    "[consumer.fixtures] {name} is mapped to {f}, which the main pin's tree does not hold"
                ),
                (None, Some(_)) => {}
                _ => bail!(
                    "[consumer.fixtures] {name} needs a fixture or a why_not, not both or neither"
                ),
            }
        }
        Ok(self)
    }
}

/// The map's section of `docs/coverage.md`.
pub fn render(out: &mut String, map: &ConsumerMap) {
    let mapped = map
        .fixtures
        .values()
        .filter(|e| e.fixture.is_some())
        .count();
    let _ = writeln!(
        out,
        "\n## The consumer's fixtures (`{}`)\n\n`{}` holds {} hand-written fixtures; {mapped} are shown by a fixture of real codex here (the same file name where the workflow is the same), {} cannot be. Each of ours is in the main pin's tree.\n\n| its fixture | ours | note |\n| --- | --- | --- |",
        map.repository,
        map.dir,
        map.fixtures.len(),
        map.fixtures.len() - mapped
    );
    for (name, entry) in &map.fixtures {
        let ours = match (&entry.fixture, &entry.why_not) {
            (Some(f), _) => format!("`{f}`"),
            (None, Some(why)) => format!("none: {why}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{name}.jsonl` | {ours} | {} |",
            entry.note.as_deref().unwrap_or("")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entry: Entry) -> ConsumerMap {
        ConsumerMap {
            repository: "o/r".into(),
            dir: "fixtures".into(),
            fixtures: BTreeMap::from([("thread_basic".to_string(), entry)]),
        }
    }

    #[test]
    fn an_entry_names_a_fixture_the_tree_holds_or_why_none_can() {
        let tree = Tree::from([("exec/thread_basic.jsonl".to_string(), b"{}\n".to_vec())]);
        let held = Entry {
            fixture: Some("exec/thread_basic.jsonl".into()),
            ..Entry::default()
        };
        assert!(map(held).checked(&tree).is_ok());
        let gone = Entry {
            fixture: Some("exec/gone.jsonl".into()),
            ..Entry::default()
        };
        let err = map(gone).checked(&tree).unwrap_err().to_string();
        assert!(err.contains("does not hold"), "{err}");
        assert!(map(Entry::default()).checked(&tree).is_err());
        let why = Entry {
            why_not: Some("codex always sends ids".into()),
            ..Entry::default()
        };
        let mut out = String::new();
        render(&mut out, &map(why).checked(&tree).unwrap());
        assert!(
            out.contains("| `thread_basic.jsonl` | none: codex always sends ids |"),
            "{out}"
        );
    }
}

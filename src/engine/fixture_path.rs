//! A path inside the fixtures tree, checked to stay there: what every
//! declared output is; and the two files the driver keeps there itself.

use std::path::{Component, Path};

use anyhow::{Result, bail};

/// Files the driver writes itself at the top of the fixtures tree.
pub const MANIFEST_FILE: &str = "SHA256SUMS";
pub const PROVENANCE_FILE: &str = "provenance.json";

/// A path inside the fixtures tree, checked to stay there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FixturePath(String);

impl FixturePath {
    pub fn parse(raw: &str) -> Result<FixturePath> {
        if raw.chars().any(char::is_control) {
            bail!(
                "{raw:?} contains a control character (a newline would break SHA256SUMS); pick a plain name"
            );
        }
        if !is_inside(raw) {
            bail!(
                "{raw:?} is outside the fixtures tree: outputs are relative paths below integration/fixtures/ without `..`"
            );
        }
        if raw == MANIFEST_FILE || raw == PROVENANCE_FILE {
            bail!("{raw:?} is written by the driver itself; pick another name");
        }
        if !(raw.ends_with(".jsonl") || raw.ends_with(".json")) {
            bail!("{raw:?} must end in .jsonl (an event stream) or .json (a document)");
        }
        Ok(FixturePath(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` lies below this path (which would be its directory).
    pub fn is_dir_of(&self, other: &FixturePath) -> bool {
        other
            .0
            .strip_prefix(&self.0)
            .is_some_and(|rest| rest.starts_with('/'))
    }

    pub fn is_jsonl(&self) -> bool {
        self.0.ends_with(".jsonl")
    }
}

/// Whether `raw` names a path below a tree's root, spelled one way only:
/// component parsing forgives `a//b` and `a/./b`, but SHA256SUMS and the
/// tree spell a path one way.
pub fn is_inside(raw: &str) -> bool {
    !raw.is_empty()
        && !raw.contains('\\')
        && raw
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && Path::new(raw)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

impl std::fmt::Display for FixturePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

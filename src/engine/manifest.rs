//! The manifest of a fixtures tree: `SHA256SUMS` (GNU coreutils format, so
//! `sha256sum -c --strict` verifies it). It holds no timestamp: the same
//! tree gives the same bytes.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::base::digest;
use crate::engine::fixture_path::{MANIFEST_FILE, is_inside};
use crate::engine::tree::Tree;

/// Path → hex SHA-256, for every file of a tree but `SHA256SUMS` itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sha256Sums(BTreeMap<String, String>);

/// A file whose bytes do not match the manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// Listed, but the bytes hash differently.
    Changed { path: String },
    /// Listed, but not there.
    Missing { path: String },
    /// There, but not listed.
    Unlisted { path: String },
}

impl Sha256Sums {
    pub fn of(tree: &Tree) -> Sha256Sums {
        Sha256Sums(
            tree.iter()
                .filter(|(p, _)| p.as_str() != MANIFEST_FILE)
                .map(|(p, b)| (p.clone(), digest::sha256_hex(b)))
                .collect(),
        )
    }

    pub fn parse(text: &str) -> Result<Sha256Sums> {
        let mut sums = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let (hash, path) = line
                .split_once("  ")
                .filter(|(h, p)| {
                    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) && !p.is_empty()
                })
                .ok_or_else(|| {
                    anyhow!(
                        "line {}: expected `<sha256>  <path>`, found {line:?}",
                        i + 1
                    )
                })?;
            if !is_inside(path) {
                bail!(
                    "line {}: {path:?} is not a path below the manifest's directory (no `..`, not absolute)",
                    i + 1
                );
            }
            if sums
                .insert(path.to_string(), hash.to_ascii_lowercase())
                .is_some()
            {
                bail!("line {}: {path} is listed twice", i + 1);
            }
        }
        Ok(Sha256Sums(sums))
    }

    /// Whether `path` is listed with exactly `bytes`' hash: a file as the
    /// harvest that wrote this manifest left it.
    /// Whether `path` is listed, whatever its bytes now.
    pub fn lists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }

    pub fn vouches_for(&self, path: &str, bytes: &[u8]) -> bool {
        self.0.get(path) == Some(&digest::sha256_hex(bytes))
    }

    /// The manifest as `tree` holds it.
    pub fn from_tree(tree: &Tree) -> Result<Option<Sha256Sums>> {
        tree.get(MANIFEST_FILE)
            .map(|bytes| {
                std::str::from_utf8(bytes)
                    .map_err(|_| anyhow!("not UTF-8"))
                    .and_then(Sha256Sums::parse)
                    .with_context(|| format!("in {MANIFEST_FILE}"))
            })
            .transpose()
    }

    pub fn render(&self) -> String {
        self.0.iter().map(|(p, h)| format!("{h}  {p}\n")).collect()
    }

    /// Checks `tree` against the manifest, path by path.
    pub fn verify(&self, tree: &Tree) -> Vec<Mismatch> {
        let mut out = Vec::new();
        for (path, hash) in &self.0 {
            match tree.get(path) {
                None => out.push(Mismatch::Missing { path: path.clone() }),
                Some(bytes) if &digest::sha256_hex(bytes) != hash => {
                    out.push(Mismatch::Changed { path: path.clone() })
                }
                Some(_) => {}
            }
        }
        for path in tree.keys() {
            if path != MANIFEST_FILE && !self.0.contains_key(path) {
                out.push(Mismatch::Unlisted { path: path.clone() });
            }
        }
        out.sort_by(|a, b| a.path().cmp(b.path()));
        out
    }
}

impl Mismatch {
    /// What is wrong with the file, for a reader.
    pub fn describe(&self) -> &'static str {
        match self {
            Mismatch::Changed { .. } => "changed: its bytes no longer match its manifest entry",
            Mismatch::Missing { .. } => "missing: listed in the manifest but not there",
            Mismatch::Unlisted { .. } => "unlisted: there but not in the manifest",
        }
    }

    /// The same mismatch, its path below `dir`.
    pub fn under(self, dir: &str) -> Mismatch {
        let at = |path: String| format!("{dir}/{path}");
        match self {
            Mismatch::Changed { path } => Mismatch::Changed { path: at(path) },
            Mismatch::Missing { path } => Mismatch::Missing { path: at(path) },
            Mismatch::Unlisted { path } => Mismatch::Unlisted { path: at(path) },
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Mismatch::Changed { path }
            | Mismatch::Missing { path }
            | Mismatch::Unlisted { path } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        Tree::from([
            ("python/b.jsonl".to_string(), b"{}\n".to_vec()),
            ("a.json".to_string(), b"[]\n".to_vec()),
        ])
    }

    #[test]
    fn renders_gnu_format_sorted_and_parses_back() {
        let sums = Sha256Sums::of(&tree());
        let text = sums.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with("  a.json") && lines[1].ends_with("  python/b.jsonl"));
        assert_eq!(lines[0].len(), 64 + 2 + "a.json".len());
        assert_eq!(Sha256Sums::parse(&text).unwrap(), sums);
    }

    #[test]
    fn the_manifest_does_not_list_itself() {
        let mut t = tree();
        t.insert(MANIFEST_FILE.into(), b"whatever".to_vec());
        assert_eq!(Sha256Sums::of(&t), Sha256Sums::of(&tree()));
        assert!(Sha256Sums::of(&tree()).verify(&t).is_empty());
    }

    #[test]
    fn verify_finds_changed_missing_and_unlisted() {
        let sums = Sha256Sums::of(&tree());
        let mut t = tree();
        t.insert("a.json".into(), b"[1]\n".to_vec());
        t.remove("python/b.jsonl");
        t.insert("new.jsonl".into(), b"{}\n".to_vec());
        assert_eq!(
            sums.verify(&t),
            [
                Mismatch::Changed {
                    path: "a.json".into()
                },
                Mismatch::Unlisted {
                    path: "new.jsonl".into()
                },
                Mismatch::Missing {
                    path: "python/b.jsonl".into()
                },
            ]
        );
    }

    #[test]
    fn parse_names_the_bad_line() {
        let err = Sha256Sums::parse("nothex  a\n").unwrap_err().to_string();
        assert!(err.starts_with("line 1:"), "{err}");
    }

    /// Issue 35, item 16: a manifest naming a path outside its tree is
    /// refused where it is read, naming the line, not found missing.
    #[test]
    fn a_path_outside_the_tree_is_refused_by_its_line() {
        let hash = "0".repeat(64);
        for outside in ["../../../etc/passwd", "/etc/passwd", "a/../b", "a//b"] {
            let err = Sha256Sums::parse(&format!("{hash}  a.json\n{hash}  {outside}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("line 2:") && err.contains("not a path below"),
                "{outside}: {err}"
            );
        }
    }
}

//! Which files of a directory this tool can prove an earlier run of it
//! wrote: the only ones a run may replace or remove. Everything else in a
//! target directory (a user's files, their modes, empty directories) is
//! left as it is, or the target is refused before anything runs.
//!
//! The proof is the tree's own manifest, and only when the tree's
//! provenance reads as this tool's and the manifest lists it with its
//! bytes: a `SHA256SUMS` a user made with coreutils proves nothing. The
//! project's own trees (`integration/fixtures`, each matrix tree) are the
//! tool's by the project's layout as well: there a file the catalogue
//! declares is the tool's, even where the manifest was broken by hand, as
//! long as the tree holds a manifest or a provenance at all. A tree with
//! neither is no harvest's: an SDK repository's hand-written fixtures,
//! where `init` made a project, are the user's, not the tool's.

use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::manifest::Sha256Sums;
use crate::engine::tree::Tree;
use crate::harvest::provenance::Provenance;

/// What a tree on disk proves about who wrote its files.
pub struct Ownership {
    /// The tree's manifest, when the tree proves itself this tool's.
    proven: Option<Sha256Sums>,
    /// The tree is the project's own: its declared outputs are the tool's.
    declared: bool,
}

impl Ownership {
    /// `tree` as read from its directory; `declared` for the project's own
    /// trees.
    pub fn of(tree: &Tree, declared: bool) -> Ownership {
        let proven = Sha256Sums::from_tree(tree).ok().flatten().filter(|sums| {
            let provenance = tree.get(PROVENANCE_FILE);
            Provenance::from_tree(tree).is_ok_and(|p| p.is_some())
                && provenance.is_some_and(|bytes| sums.vouches_for(PROVENANCE_FILE, bytes))
        });
        let harvested = tree.contains_key(MANIFEST_FILE) || tree.contains_key(PROVENANCE_FILE);
        Ownership {
            proven,
            declared: declared && harvested,
        }
    }

    /// Whether a run may replace or remove `path`; `referenced`: the
    /// catalogue declares it (an output, a failure record, the manifest or
    /// provenance).
    pub fn owns(&self, path: &str, referenced: bool) -> bool {
        (self.declared && referenced)
            || self.proven.as_ref().is_some_and(|sums| {
                path == MANIFEST_FILE || path == PROVENANCE_FILE || sums.lists(path)
            })
    }

    /// Whether `path` is, byte for byte, what an earlier run wrote: the
    /// only unreferenced file `--unreferenced=delete` may drop.
    pub fn vouches_for(&self, path: &str, bytes: &[u8]) -> bool {
        self.proven
            .as_ref()
            .is_some_and(|sums| sums.vouches_for(path, bytes))
    }

    /// Those of `paths` (files of `tree`) that are not, byte for byte, what
    /// an earlier run wrote.
    pub fn unvouched<'a>(&self, tree: &Tree, paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        paths.filter(|p| !self.vouches_for(p, &tree[*p])).collect()
    }

    /// The files of `tree` this run could not replace or remove: neither
    /// proven nor declared (`referenced` says what the catalogue declares).
    pub fn foreign<'a>(&self, tree: &'a Tree, referenced: impl Fn(&str) -> bool) -> Vec<&'a str> {
        tree.keys()
            .map(String::as_str)
            .filter(|p| !self.owns(p, referenced(p)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(files: &[(&str, &[u8])]) -> Tree {
        files
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect()
    }

    fn with_manifest(mut tree: Tree) -> Tree {
        tree.insert(
            MANIFEST_FILE.into(),
            Sha256Sums::of(&tree).render().into_bytes(),
        );
        tree
    }

    #[test]
    fn a_users_own_sha256sums_proves_nothing() {
        let tree = with_manifest(tree_of(&[("notes.txt", b"notes\n"), ("isos/a.iso", b"x")]));
        let owner = Ownership::of(&tree, false);
        assert!(!owner.owns("notes.txt", false));
        assert!(!owner.owns(MANIFEST_FILE, true));
        assert!(!owner.vouches_for("notes.txt", b"notes\n"));
        assert_eq!(owner.foreign(&tree, |_| false).len(), 3);
    }

    #[test]
    fn a_tree_this_tool_wrote_proves_what_its_manifest_lists() {
        let provenance = Provenance::default().render();
        let tree = with_manifest(tree_of(&[
            ("python/a.jsonl", b"{}\n"),
            (PROVENANCE_FILE, &provenance),
        ]));
        let owner = Ownership::of(&tree, false);
        assert!(owner.owns("python/a.jsonl", false));
        assert!(owner.owns(MANIFEST_FILE, true));
        assert!(owner.vouches_for("python/a.jsonl", b"{}\n"));
        assert!(!owner.vouches_for("python/a.jsonl", b"edited\n"));
        assert!(!owner.owns("notes.txt", false));

        // A provenance edited after the manifest was written proves nothing.
        let mut edited = tree.clone();
        edited.insert(PROVENANCE_FILE.into(), b"{\"scenarios\": {}}\n".to_vec());
        assert!(!Ownership::of(&edited, false).owns("python/a.jsonl", false));
    }

    #[test]
    fn the_projects_own_tree_owns_what_the_catalogue_declares() {
        let broken = tree_of(&[
            ("python/a.jsonl", b"{}\n"),
            ("notes.txt", b"n"),
            (MANIFEST_FILE, b"edited by hand\n"),
        ]);
        let owner = Ownership::of(&broken, true);
        assert!(owner.owns("python/a.jsonl", true));
        assert!(!owner.owns("notes.txt", false));
        assert!(!Ownership::of(&broken, false).owns("python/a.jsonl", true));
    }

    #[test]
    fn a_tree_no_harvest_wrote_owns_nothing_the_catalogue_declares() {
        let hand_written = tree_of(&[("python/a.jsonl", b"{}\n")]);
        let owner = Ownership::of(&hand_written, true);
        assert!(!owner.owns("python/a.jsonl", true));
        assert_eq!(owner.foreign(&hand_written, |_| true), ["python/a.jsonl"]);
    }
}

//! `bundle`: the corpus as one artifact an SDK repository pins by hash,
//! laid out as the project lays it out, so that replay finds the rules
//! above each recording: the main pin's tree and each matrix tree (each
//! with its own `SHA256SUMS` and provenance), `config/harvest.toml`, a
//! replay shim, `BUNDLE.json` and a `SHA256SUMS` over every file. Written as
//! a tar whose bytes depend on those files alone, or unpacked.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::base::digest;
use crate::engine::fixture_path::MANIFEST_FILE;
use crate::engine::manifest::{Mismatch, Sha256Sums};
use crate::engine::tree::{self, Tree};

/// The bundle's own description, at its top.
pub const BUNDLE_FILE: &str = "BUNDLE.json";

/// What a client's codex path points at: codex played back from this
/// bundle, the recording named by `CODEX_REPLAY` (docs/replay.md).
const SHIM_PATH: &str = "bin/codex-replay";
const SHIM: &str = "#!/bin/sh
# codex played back from this bundle: CODEX_REPLAY names a recording below
# integration/fixtures/ (wire/<name>.jsonl for app-server, exec/<name>.jsonl
# for exec), CODEX_HARVEST the driver (default: codex-harvest on PATH).
here=$(cd \"$(dirname \"$0\")/..\" && pwd)
exec \"${CODEX_HARVEST:-codex-harvest}\" replay \"$here/integration/fixtures/${CODEX_REPLAY:?set CODEX_REPLAY to a recording, e.g. wire/thread_basic.jsonl}\" -- \"$@\"
";

/// `BUNDLE.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The format of this file.
    pub bundle: u32,
    pub name: String,
    /// The main pin's codex, and the matrix's.
    pub codex: String,
    pub matrix: Vec<String>,
    pub made_by: String,
    /// Each tree of the bundle with the sha256 of its `SHA256SUMS`.
    pub trees: BTreeMap<String, String>,
}

/// A bundle: its name (the tar's top directory) and its files, by path
/// below it.
pub struct Bundle {
    pub name: String,
    pub files: Tree,
}

/// One fixtures tree of the project, by its path below the root.
pub struct TreeAt {
    pub path: String,
    pub version: String,
    pub tree: Tree,
}

/// The bundle of `trees` (the main pin's first) with the project's
/// `config`; a tree that disagrees with its own manifest is refused.
pub fn make(trees: &[TreeAt], config: &[u8]) -> Result<Bundle> {
    let (main, matrix) = trees
        .split_first()
        .context("a bundle holds the main pin's tree")?;
    let name = format!("codex-harvest-fixtures-codex-{}", main.version);
    let mut files = Tree::new();
    let mut digests = BTreeMap::new();
    for t in trees {
        let sums = Sha256Sums::from_tree(&t.tree)?
            .ok_or_else(|| anyhow!("{} has no {MANIFEST_FILE}: harvest it first", t.path))?;
        let wrong = sums.verify(&t.tree);
        if !wrong.is_empty() {
            bail!(
                "{} disagrees with its {MANIFEST_FILE} ({}): `codex-harvest verify` says how; a bundle holds only what its manifests vouch for",
                t.path,
                describe(&wrong)
            );
        }
        digests.insert(t.path.clone(), digest::sha256_hex(&t.tree[MANIFEST_FILE]));
        for (rel, bytes) in &t.tree {
            files.insert(format!("{}/{rel}", t.path), bytes.clone());
        }
    }
    files.insert("config/harvest.toml".into(), config.to_vec());
    files.insert(SHIM_PATH.into(), SHIM.as_bytes().to_vec());
    let manifest = Manifest {
        bundle: 1,
        name: name.clone(),
        codex: main.version.clone(),
        matrix: matrix.iter().map(|t| t.version.clone()).collect(),
        made_by: format!("codex-harvest {}", env!("CARGO_PKG_VERSION")),
        trees: digests,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    files.insert(BUNDLE_FILE.into(), text.into_bytes());
    let sums = Sha256Sums::of(&files).render();
    files.insert(MANIFEST_FILE.into(), sums.into_bytes());
    Ok(Bundle { name, files })
}

fn describe(wrong: &[Mismatch]) -> String {
    let shown: Vec<String> = wrong
        .iter()
        .take(3)
        .map(|m| format!("{} {}", m.path(), m.describe()))
        .collect();
    let more = wrong.len().saturating_sub(shown.len());
    match more {
        0 => shown.join(", "),
        n => format!("{}, and {n} more", shown.join(", ")),
    }
}

/// The mode a file of the bundle has: the shim runs.
fn mode(path: &str) -> u32 {
    if path == SHIM_PATH { 0o755 } else { 0o644 }
}

/// The bundle as a tar: entries in path order under its name, owned by
/// 0:0, dated 0, so that its bytes (and the hash a consumer pins) depend on
/// its files alone.
pub fn tar(bundle: &Bundle) -> Result<Vec<u8>> {
    let mut out = tar::Builder::new(Vec::new());
    out.mode(tar::HeaderMode::Deterministic);
    for (rel, bytes) in &bundle.files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode(rel));
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        out.append_data(
            &mut header,
            format!("{}/{rel}", bundle.name),
            bytes.as_slice(),
        )
        .with_context(|| format!("adding {rel} to the bundle"))?;
    }
    out.into_inner().context("finishing the bundle")
}

/// Writes the bundle's files under `dir` (new or empty), the shim
/// executable.
pub fn unpack(bundle: &Bundle, dir: &Path) -> Result<()> {
    crate::harvest::slice::write(dir, &bundle.files)?;
    let shim = dir.join(SHIM_PATH);
    std::fs::set_permissions(
        &shim,
        std::os::unix::fs::PermissionsExt::from_mode(mode(SHIM_PATH)),
    )
    .with_context(|| format!("making {} executable", shim.display()))
}

/// What is wrong with the unpacked bundle at `dir`: each file against the
/// bundle's `SHA256SUMS` (none missing, none unlisted), and each tree
/// `BUNDLE.json` names against its own.
pub fn verify(dir: &Path) -> Result<Vec<Mismatch>> {
    let files = tree::read(dir).with_context(|| format!("reading {}", dir.display()))?;
    let sums = Sha256Sums::from_tree(&files)?.ok_or_else(|| {
        anyhow!(
            "{} has no {MANIFEST_FILE}: not an unpacked bundle",
            dir.display()
        )
    })?;
    let mut wrong = sums.verify(&files);
    let manifest: Manifest = serde_json::from_slice(files.get(BUNDLE_FILE).ok_or_else(|| {
        anyhow!(
            "{} has no {BUNDLE_FILE}: not an unpacked bundle",
            dir.display()
        )
    })?)
    .with_context(|| format!("reading {}/{BUNDLE_FILE}", dir.display()))?;
    for path in manifest.trees.keys() {
        let prefix = format!("{path}/");
        let sub: Tree = files
            .iter()
            .filter_map(|(p, b)| p.strip_prefix(&prefix).map(|r| (r.to_string(), b.clone())))
            .collect();
        match Sha256Sums::from_tree(&sub)? {
            Some(tree_sums) => {
                wrong.extend(tree_sums.verify(&sub).into_iter().map(|m| m.under(path)))
            }
            None => bail!("{}: {path}/{MANIFEST_FILE} is missing", dir.display()),
        }
    }
    Ok(wrong)
}

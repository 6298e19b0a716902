//! `pin --matrix`: set the codex versions harvested besides the main pin,
//! each pinned like it, then harvest their trees.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, anyhow};

use super::args::{PinArgs, SelectArgs, UnreferencedArg};
use super::exit::{Exit, Failure, Phase};
use super::session::{self, progress};
use crate::failure::hinted;
use crate::pins::{Pins, matrix};
use crate::toolchain;
use crate::tree;
use crate::tree_lock::TreeLock;

pub fn run(root: &Option<PathBuf>, args: &PinArgs) -> Result<Exit, Failure> {
    let loaded = session::load(root)?;
    let project = &loaded.project;
    let main = &loaded.pins;
    let wanted = versions(&args.matrix, &main.codex.version).or_exit(Exit::Usage)?;
    let dir = project.matrix_pins_dir();
    let lock = project.python_lock();
    let pinned = matrix::load(&dir, &lock).or_exit(Exit::Usage)?;
    // Fetch every new pin, and check each against the lock, before any
    // file is written; a version pinned already is left as it is.
    let staged = tempfile::tempdir()
        .context("staging the matrix pins")
        .or_exit(Exit::Io)?;
    let mut files = Vec::new();
    for version in &wanted {
        if let Some(kept) = pinned.iter().find(|p| {
            p.codex.version == *version
                && p.python_sdk == main.python_sdk
                && p.codex.artifacts.keys().eq(main.codex.artifacts.keys())
        }) {
            crate::outln!(
                "pin: matrix codex {version} is pinned already ({})",
                project.display(&kept.native_exs)
            );
            continue;
        }
        let (codex, sources) =
            toolchain::bump::fetch_codex(main, version, &progress).or_exit(Exit::Toolchain)?;
        for s in &sources {
            crate::outln!("pin: matrix codex {version} for {s}");
        }
        let text = matrix::render(&codex, &main.python_sdk).into_bytes();
        let path = matrix::file(staged.path(), version);
        std::fs::write(&path, &text)
            .with_context(|| format!("staging {}", path.display()))
            .or_exit(Exit::Io)?;
        Pins::load(&path, &lock)
            .context("the fetched matrix pin does not agree with the lock; nothing was written")
            .or_exit(Exit::Toolchain)?;
        files.push((version.clone(), text));
    }
    for (version, text) in &files {
        tree::write_atomic(&matrix::file(&dir, version), text).or_exit(Exit::Io)?;
    }
    for old in pinned.iter().filter(|p| !wanted.contains(&p.codex.version)) {
        let version = &old.codex.version;
        std::fs::remove_file(&old.native_exs)
            .with_context(|| format!("removing {}", old.native_exs.display()))
            .or_exit(Exit::Io)?;
        let tree = project.matrix_tree(version);
        let _lock = TreeLock::exclusive(&tree).or_exit(Exit::Io)?;
        if tree.exists() {
            std::fs::remove_dir_all(&tree)
                .with_context(|| format!("removing {}", tree.display()))
                .or_exit(Exit::Io)?;
        }
        crate::outln!(
            "pin: dropped matrix codex {version} ({} and {})",
            project.display(&old.native_exs),
            project.display(&tree)
        );
    }
    crate::outln!(
        "pin: the matrix is codex {}; wrote {}",
        wanted.iter().cloned().collect::<Vec<_>>().join(", "),
        project.display(&dir)
    );
    if args.no_harvest {
        crate::outln!("hint: run `codex-harvest harvest` to harvest the matrix's trees");
        return Ok(Exit::Clean);
    }
    let loaded = session::load(root)?;
    let select = SelectArgs {
        scenarios: Vec::new(),
        output: None,
        codex_versions: wanted.into_iter().collect(),
        unreferenced: UnreferencedArg::Reject,
    };
    super::harvest::write_cells(&loaded, &select, &args.run, &args.toolchain)
}

/// The matrix `--matrix` asks for: release versions, each once, none the
/// main pin's.
fn versions(asked: &[String], main: &str) -> anyhow::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for v in asked.iter().map(|v| v.trim()) {
        if !matrix::is_version(v) {
            return Err(hinted(
                anyhow!("--matrix: {v:?} is not a release version"),
                "list versions as the registries spell them, e.g. --matrix 0.144.4,0.171.0",
            ));
        }
        if v == main {
            return Err(hinted(
                anyhow!("--matrix: {v} is the main pin (config/native.exs), harvested already"),
                "leave it out of the matrix",
            ));
        }
        if !out.insert(v.to_string()) {
            return Err(hinted(
                anyhow!("--matrix: {v} is listed twice"),
                "list each version once",
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_release_versions_each_once_without_the_main_pin() {
        let asked = |v: &[&str]| {
            versions(
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "0.163.0",
            )
        };
        assert_eq!(
            asked(&["0.171.0", "0.144.4"])
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["0.144.4", "0.171.0"]
        );
        for bad in [
            &["latest"][..],
            &["0.163.0"],
            &["0.144.4", "0.144.4"],
            &[""],
        ] {
            assert!(asked(bad).is_err(), "{bad:?}");
        }
    }
}

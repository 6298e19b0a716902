//! `pin --matrix`: set the codex versions harvested besides the main pin,
//! each pinned like it, then harvest their trees.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use super::args::{PinArgs, SelectArgs, UnreferencedArg};
use super::cells;
use super::exit::{Exit, Failure, Phase};
use super::setup::{self, progress};
use crate::base::failure::hinted;
use crate::base::interrupt;
use crate::base::project::Project;
use crate::codex::pins::{Pins, matrix};
use crate::codex::toolchain;
use crate::engine::tree::{self, StagedTree, Tree};
use crate::engine::tree_lock::TreeLock;
use crate::harvest::cells::Loaded;
use crate::harvest::jobs::OnFailure;
use crate::harvest::ownership::Ownership;
use crate::harvest::plan::{self, Unreferenced};

pub fn run(root: &Option<PathBuf>, args: &PinArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let project = &loaded.project;
    let main = &loaded.pins;
    let wanted = versions(&args.matrix, &main.codex.version).or_exit(Exit::Usage)?;
    let dir = project.matrix_pins_dir();
    let lock = project.python_lock();
    let pinned = matrix::load(&dir, &lock).or_exit(Exit::Usage)?;
    let dropped: Vec<&Pins> = pinned
        .iter()
        .filter(|p| !wanted.contains(&p.codex.version))
        .collect();
    for old in &dropped {
        refuse_unowned(project, &old.codex.version)?;
    }
    // Fetch every new pin, and check each against the lock, before any
    // file is written; a version pinned already is left as it is.
    let staged = tempfile::tempdir()
        .context("staging the matrix pins")
        .or_exit(Exit::Io)?;
    let mut added = Vec::new();
    let mut kept = Vec::new();
    for version in &wanted {
        if let Some(same) = pinned.iter().find(|p| {
            p.codex.version == *version
                && p.python_sdk == main.python_sdk
                && p.codex.artifacts.keys().eq(main.codex.artifacts.keys())
        }) {
            crate::outln!(
                "pin: matrix codex {version} is pinned already ({})",
                project.display(&same.native_exs)
            );
            kept.push(version.clone());
            continue;
        }
        refuse_unowned(project, version)?;
        added.push(fetch_pin(&loaded, version, staged.path())?);
    }
    // Each new codex's tree, made before anything is written: the matrix
    // change is the pins and the trees together.
    let mut trees = Vec::new();
    if !args.no_harvest {
        for pin in &added {
            trees.push(harvest_new(&loaded, pin, args)?);
        }
    }
    let change = Change {
        dir: &dir,
        added: &added,
        dropped: &dropped,
    };
    change.commit(project, trees)?;
    crate::outln!(
        "pin: the matrix is codex {}; wrote {}",
        wanted.iter().cloned().collect::<Vec<_>>().join(", "),
        project.display(&dir)
    );
    if args.no_harvest {
        crate::outln!("hint: run `codex-harvest harvest` to harvest the matrix's trees");
        return Ok(Exit::Clean);
    }
    // The versions pinned already are harvested as `harvest` would, each
    // tree its own commit.
    let loaded = setup::load(root)?;
    if !kept.is_empty() {
        let select = SelectArgs {
            scenarios: Vec::new(),
            output: None,
            codex_versions: kept,
            unreferenced: UnreferencedArg::Reject,
        };
        for cell in cells::select(&loaded, &select, true)? {
            super::harvest::write(
                &cell.loaded,
                &cell.target,
                &select,
                &args.run,
                &args.toolchain,
                None,
            )?;
        }
    }
    super::harvest::write_compat(&loaded)?;
    Ok(Exit::Clean)
}

/// A version new to the matrix: its pin file's text, and the pins it reads
/// as once in place.
struct NewPin {
    version: String,
    text: Vec<u8>,
    pins: Pins,
}

/// Fetches `version`'s pin (`toolchain::bump::fetch_codex`) and checks it
/// against the lock, staged under `staged`.
fn fetch_pin(loaded: &Loaded, version: &str, staged: &Path) -> Result<NewPin, Failure> {
    let main = &loaded.pins;
    let (codex, sources) =
        toolchain::bump::fetch_codex(main, version, &progress).or_exit(Exit::Toolchain)?;
    for s in &sources {
        crate::outln!("pin: matrix codex {version} for {s}");
    }
    let text = matrix::render(&codex, &main.python_sdk).into_bytes();
    let path = matrix::file(staged, version);
    std::fs::write(&path, &text)
        .with_context(|| format!("staging {}", path.display()))
        .or_exit(Exit::Io)?;
    let mut pins = Pins::load(&path, &loaded.project.python_lock())
        .context("the fetched matrix pin does not agree with the lock; nothing was written")
        .or_exit(Exit::Toolchain)?;
    pins.native_exs = matrix::file(&loaded.project.matrix_pins_dir(), version);
    Ok(NewPin {
        version: version.to_string(),
        text,
        pins,
    })
}

/// A new codex's tree, regenerated and staged beside its place.
fn harvest_new(loaded: &Loaded, pin: &NewPin, args: &PinArgs) -> Result<StagedTree, Failure> {
    let place = loaded.project.matrix_tree(&pin.version);
    crate::outln!(
        "harvest: codex {} into {}",
        pin.version,
        loaded.project.display(&place)
    );
    let cell = Loaded {
        pins: pin.pins.clone(),
        ..loaded.clone()
    };
    let regenerated = setup::resolve_and_run(
        &cell,
        &[],
        &args.run,
        &args.toolchain,
        setup::Mode::once(OnFailure::Record),
    )?;
    let planned = regenerated.plan(&cell, &Tree::new(), Unreferenced::Reject, true)?;
    let _lock = TreeLock::exclusive(&place).or_exit(Exit::Io)?;
    tree::remove_stale_staging(&place).or_exit(Exit::Io)?;
    tree::stage(&place, &planned.tree).or_exit(Exit::Io)
}

/// A matrix tree the change would replace or remove must be the tool's
/// through and through: every file one its manifest vouches for.
fn refuse_unowned(project: &Project, version: &str) -> Result<(), Failure> {
    let place = project.matrix_tree(version);
    let tree = setup::read_locked(&place)?;
    let foreign = Ownership::of(&tree, false).unvouched(
        &tree,
        tree.keys()
            .map(String::as_str)
            .filter(|p| *p != crate::engine::fixture_path::MANIFEST_FILE),
    );
    if foreign.is_empty() {
        return Ok(());
    }
    Err(hinted(
        anyhow!(
            "{} holds {} file(s) no harvest wrote as they are: {}; pin --matrix would replace or remove that tree, so nothing was fetched or written",
            project.display(&place),
            foreign.len(),
            plan::some_of(&foreign)
        ),
        "move those files out of the tree (or `codex-harvest harvest --codex-version` it first), then run again",
    ))
    .or_exit(Exit::Usage)
}

/// The matrix change: pins written and removed, trees swapped in and
/// removed, as one step.
struct Change<'a> {
    dir: &'a Path,
    added: &'a [NewPin],
    dropped: &'a [&'a Pins],
}

impl Change<'_> {
    /// Everything slow (fetching, harvesting, staging) is done; the last
    /// stop-signal check comes first, and the renames and removals after it
    /// run to their end, a stop signal or not (they take milliseconds), so a
    /// stopped run leaves the old matrix or the new one. Under the matrix
    /// trees' lock, so `check` reads one or the other.
    fn commit(&self, project: &Project, trees: Vec<StagedTree>) -> Result<(), Failure> {
        interrupt::check().or_exit(Exit::Io)?;
        let versions: Vec<&str> = self
            .added
            .iter()
            .map(|p| p.version.as_str())
            .chain(self.dropped.iter().map(|p| p.codex.version.as_str()))
            .collect();
        let Some(first) = versions.first() else {
            return Ok(());
        };
        // Every matrix tree has one parent, whose lock holds them all.
        let _lock = TreeLock::exclusive(&project.matrix_tree(first)).or_exit(Exit::Io)?;
        for pin in self.added {
            crate::base::fs::write_atomic(&matrix::file(self.dir, &pin.version), &pin.text)
                .or_exit(Exit::Io)?;
        }
        for staged in trees {
            staged.swap().or_exit(Exit::Io)?;
        }
        for old in self.dropped {
            let version = &old.codex.version;
            std::fs::remove_file(&old.native_exs)
                .with_context(|| format!("removing {}", old.native_exs.display()))
                .or_exit(Exit::Io)?;
            let tree = project.matrix_tree(version);
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
        interrupt::note_written(format!(
            "the matrix change was written (codex {} added or dropped, with their trees)",
            versions.join(", ")
        ));
        Ok(())
    }
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

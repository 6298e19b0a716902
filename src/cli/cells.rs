//! The cells of a run: the main pin's tree and, unless `--output` names a
//! tree of its own, one tree per codex of the version matrix
//! (`config/matrix/`), each with the pins it is harvested with.

use std::path::PathBuf;

use anyhow::anyhow;

use super::args::SelectArgs;
use super::exit::{Exit, Failure, Phase};
use super::setup::{self, Loaded};
use crate::base::failure::hinted;
use crate::codex::pins::matrix;
use crate::harvest::events;
use crate::harvest::jobs::OnFailure;
use crate::harvest::reports::codex_compat::{self, Compat};

/// Where a cell's fixtures live and how its run treats them.
pub struct Target {
    pub dir: PathBuf,
    /// The generated docs that go with the tree (the main pin's, without
    /// `--output`).
    pub docs: bool,
    pub failed: OnFailure,
    /// One of the project's own trees, not an `--output` dir: what the
    /// catalogue declares there is the tool's (`ownership`).
    pub declared: bool,
}

/// One codex of the run: the project loaded with its pins, and its tree.
pub struct Cell {
    pub loaded: Loaded,
    pub target: Target,
}

impl Cell {
    pub fn version(&self) -> &str {
        &self.loaded.pins.codex.version
    }
}

/// The cells `select` asks for, the main pin first, then the matrix oldest
/// first. `writes`: the trees are to be replaced (`harvest`), so an
/// `--output` is checked to be a tree of its own.
pub fn select(loaded: &Loaded, select: &SelectArgs, writes: bool) -> Result<Vec<Cell>, Failure> {
    let project = &loaded.project;
    let dir = match writes {
        true => setup::output_dir(project, &select.output)?,
        false => setup::fixtures_dir(project, &select.output)?,
    };
    let main = Cell {
        loaded: loaded.clone(),
        target: Target {
            dir,
            docs: select.output.is_none(),
            failed: OnFailure::Fail,
            declared: select.output.is_none(),
        },
    };
    if select.output.is_some() {
        return Ok(vec![main]);
    }
    let mut cells = vec![main];
    cells.extend(matrix_pins(loaded)?.into_iter().map(|pins| Cell {
        target: Target {
            dir: project.matrix_tree(&pins.codex.version),
            docs: false,
            failed: OnFailure::Record,
            declared: true,
        },
        loaded: Loaded {
            pins,
            ..loaded.clone()
        },
    }));
    if select.codex_versions.is_empty() {
        return Ok(cells);
    }
    for want in &select.codex_versions {
        if !cells.iter().any(|c| c.version() == want) {
            let known: Vec<&str> = cells.iter().map(Cell::version).collect();
            return Err(hinted(
                anyhow!(
                    "--codex-version {want}: neither config/native.exs nor config/matrix/ pins it (the run's codex versions: {})",
                    known.join(", ")
                ),
                format!("add it with `codex-harvest pin --matrix …,{want}`, or pick one of those"),
            ))
            .or_exit(Exit::Usage);
        }
    }
    cells.retain(|c| select.codex_versions.iter().any(|v| v == c.version()));
    Ok(cells)
}

/// The project loaded with the pins of codex `version` (the main pin's or
/// one of the matrix's), and what its run does with a failed lane.
pub fn one(loaded: &Loaded, version: &str) -> Result<(Loaded, OnFailure), Failure> {
    let select = SelectArgs {
        scenarios: Vec::new(),
        output: None,
        codex_versions: vec![version.to_string()],
        unreferenced: super::args::UnreferencedArg::Reject,
    };
    let cell = self::select(loaded, &select, false)?.remove(0);
    Ok((cell.loaded, cell.target.failed))
}

/// The matrix's pins, each checked against the project's lock; a version
/// the main pin has moved to is the main pin's (its tree is
/// `integration/fixtures`), said once.
fn matrix_pins(loaded: &Loaded) -> Result<Vec<crate::codex::pins::Pins>, Failure> {
    let project = &loaded.project;
    let mut pins =
        matrix::load(&project.matrix_pins_dir(), &project.python_lock()).or_exit(Exit::Usage)?;
    let main = &loaded.pins.codex.version;
    if let Some(same) = pins.iter().find(|p| p.codex.version == *main) {
        crate::errln!(
            "warning: {} pins the main pin's codex {main}, which is harvested into integration/fixtures; drop it with `codex-harvest pin --matrix` (the other versions)",
            project.display(&same.native_exs)
        );
    }
    pins.retain(|p| p.codex.version != *main);
    Ok(pins)
}

/// The compatibility report over every committed tree (the main pin's and
/// the matrix's, read under their locks), with where it goes; `None`
/// without a matrix.
pub fn compat(loaded: &Loaded) -> Result<Option<(PathBuf, Compat)>, Failure> {
    let matrix = matrix_pins(loaded)?;
    if matrix.is_empty() {
        return Ok(None);
    }
    let project = &loaded.project;
    let mut trees = vec![(
        loaded.pins.codex.version.clone(),
        setup::read_locked(&project.fixtures_dir())?,
    )];
    for pins in &matrix {
        let version = pins.codex.version.clone();
        let tree = setup::read_locked(&project.matrix_tree(&version))?;
        trees.push((version, tree));
    }
    let compat = codex_compat::compare(
        &loaded.config,
        trees,
        &loaded.pins.codex.version,
        events::key,
    );
    Ok(Some((project.codex_compat(), compat)))
}

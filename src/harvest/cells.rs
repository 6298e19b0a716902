//! The cells of a run: the main pin's tree and, unless an output tree of
//! its own is given, one tree per codex of the version matrix
//! (`config/matrix/`), each with the pins it is harvested with.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};

use crate::base::failure::{Classify, Kind, hinted};
use crate::base::project::Project;
use crate::codex::pins::{Pins, matrix};
use crate::codex::protocol::{ExecTypes, ProtocolTypes};
use crate::engine::fixture_path::PROVENANCE_FILE;
use crate::engine::tree;
use crate::harvest::config::HarvestConfig;
use crate::harvest::events;
use crate::harvest::jobs::OnFailure;
use crate::harvest::provenance::Provenance;
use crate::harvest::reports::codex_compat::{self, Compat};
use crate::harvest::reports::coverage::{self, Coverage};

/// A project with its config and pins read and checked.
#[derive(Clone)]
pub struct Loaded {
    pub project: Project,
    pub config: HarvestConfig,
    pub pins: Pins,
}

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

/// The cells of a run, the main pin first, then the matrix oldest first,
/// only those of `codex_versions` when it names any. `output`: the main
/// pin's tree is this `--output` dir, and there is no other cell.
pub fn select(
    loaded: &Loaded,
    main_dir: PathBuf,
    output: bool,
    codex_versions: &[String],
) -> Result<Vec<Cell>> {
    let main = Cell {
        loaded: loaded.clone(),
        target: Target {
            dir: main_dir,
            docs: !output,
            failed: OnFailure::Fail,
            declared: !output,
        },
    };
    if output {
        return Ok(vec![main]);
    }
    let mut cells = vec![main];
    cells.extend(matrix_pins(loaded)?.into_iter().map(|pins| Cell {
        target: Target {
            dir: loaded.project.matrix_tree(&pins.codex.version),
            docs: false,
            failed: OnFailure::Record,
            declared: true,
        },
        loaded: Loaded {
            pins,
            ..loaded.clone()
        },
    }));
    if codex_versions.is_empty() {
        return Ok(cells);
    }
    for want in codex_versions {
        if !cells.iter().any(|c| c.version() == want) {
            let known: Vec<&str> = cells.iter().map(Cell::version).collect();
            return Err(hinted(
                anyhow!(
                    "--codex-version {want}: neither config/native.exs nor config/matrix/ pins it (the run's codex versions: {})",
                    known.join(", ")
                ),
                format!("add it with `codex-harvest pin --matrix …,{want}`, or pick one of those"),
            ))
            .kind(Kind::Config);
        }
    }
    cells.retain(|c| codex_versions.iter().any(|v| v == c.version()));
    Ok(cells)
}

/// The pins of every cell: the main pin's, then the matrix's.
pub fn every_pin(loaded: &Loaded) -> Result<Vec<Pins>> {
    let mut pins = vec![loaded.pins.clone()];
    pins.extend(matrix_pins(loaded)?);
    Ok(pins)
}

/// The matrix's pins, each checked against the project's lock; a version
/// the main pin has moved to is the main pin's (its tree is
/// `integration/fixtures`), said once.
fn matrix_pins(loaded: &Loaded) -> Result<Vec<Pins>> {
    let project = &loaded.project;
    let mut pins =
        matrix::load(&project.matrix_pins_dir(), &project.python_lock()).kind(Kind::Config)?;
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
pub fn compat(loaded: &Loaded) -> Result<Option<(PathBuf, Compat)>> {
    let matrix = matrix_pins(loaded)?;
    if matrix.is_empty() {
        return Ok(None);
    }
    let project = &loaded.project;
    let main = &loaded.pins.codex.version;
    let mut trees = vec![(
        main.clone(),
        committed(project, &project.fixtures_dir(), main)?,
    )];
    for pins in &matrix {
        let version = pins.codex.version.clone();
        let tree = committed(project, &project.matrix_tree(&version), &version)?;
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

/// The committed tree of codex `version` at `dir`, refused when there is
/// none or its provenance does not read: a report over it would show
/// nothing where the tree should be, as if there were nothing to show.
fn committed(project: &Project, dir: &std::path::Path, version: &str) -> Result<tree::Tree> {
    let (tree, _) = tree::read_locked(dir, &[]).kind(Kind::Io)?;
    let shown = project.display(dir);
    if tree.is_empty() {
        return Err(hinted(
            anyhow!("{shown} holds no fixtures, but codex {version} is pinned"),
            format!(
                "harvest it with `codex-harvest harvest --codex-version {version}`, or drop the pin with `codex-harvest pin --matrix` (the other versions)"
            ),
        ));
    }
    match Provenance::from_tree(&tree) {
        Ok(Some(_)) => Ok(tree),
        Ok(None) => Err(anyhow!("{shown} has no {PROVENANCE_FILE}")),
        Err(e) => Err(e.context(format!("{shown} is not a tree a harvest wrote"))),
    }
    .map_err(|e| {
        hinted(
            e,
            format!("restore it with `git checkout -- {shown}`, or harvest it again"),
        )
    })
}

/// The coverage report over the committed trees of the main pin and the
/// matrix, with where it goes: each version's types as its codex
/// (`codex_of` its pins) generates them, the exec types as `exec` lists them.
pub fn coverage(
    loaded: &Loaded,
    codex_of: &dyn Fn(&Pins) -> Result<PathBuf>,
    exec: &ExecTypes,
) -> Result<(PathBuf, Coverage)> {
    let project = &loaded.project;
    let mut cells = vec![(loaded.pins.clone(), project.fixtures_dir())];
    for pins in matrix_pins(loaded)? {
        let dir = project.matrix_tree(&pins.codex.version);
        cells.push((pins, dir));
    }
    let mut trees = Vec::new();
    for (pins, dir) in &cells {
        let tree = tree::read_locked(dir, &[]).map(|(t, _)| t).kind(Kind::Io)?;
        let types = ProtocolTypes::of(&codex_of(pins)?)
            .with_context(|| format!("codex {}'s schema", pins.codex.version))
            .kind(Kind::Toolchain)?;
        trees.push((pins.codex.version.clone(), types, tree));
    }
    let versions: Vec<coverage::Version> = trees
        .iter()
        .map(|(version, types, tree)| coverage::Version {
            version: version.clone(),
            types: types.clone(),
            tree,
        })
        .collect();
    let why = coverage::why_not(&project.coverage_config()).kind(Kind::Config)?;
    let report = coverage::compare(&loaded.config, &versions, exec, &why).kind(Kind::Config)?;
    Ok((project.coverage_doc(), report))
}

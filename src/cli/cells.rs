//! The cells a command's flags select (`harvest::cells`).

use super::args::SelectArgs;
use super::exit::{Exit, Failure, Phase};
use super::setup;
use crate::harvest::cells::{self, Cell, Loaded};
use crate::harvest::jobs::OnFailure;

/// The cells `select` asks for. `writes`: the trees are to be replaced
/// (`harvest`), so an `--output` is checked to be a tree of its own.
pub fn select(loaded: &Loaded, select: &SelectArgs, writes: bool) -> Result<Vec<Cell>, Failure> {
    let project = &loaded.project;
    let dir = match writes {
        true => setup::output_dir(project, &select.output)?,
        false => setup::fixtures_dir(project, &select.output)?,
    };
    cells::select(loaded, dir, select.output.is_some(), &select.codex_versions).or_exit(Exit::Usage)
}

/// The project loaded with the pins of codex `version` (the main pin's or
/// one of the matrix's), and what its run does with a failed lane.
pub fn one(loaded: &Loaded, version: &str) -> Result<(Loaded, OnFailure), Failure> {
    let dir = loaded.project.fixtures_dir();
    let cell = cells::select(loaded, dir, false, &[version.to_string()])
        .or_exit(Exit::Usage)?
        .remove(0);
    Ok((cell.loaded, cell.target.failed))
}

//! `verify`: the committed tree against its own `SHA256SUMS`, nothing run.

use anyhow::anyhow;
use std::path::PathBuf;

use super::args::{Format, VerifyArgs};
use super::exit::{Exit, Failure, Phase};
use super::report::{VerifyReport, print_json};
use super::setup;
use crate::base::failure::hinted;
use crate::engine::manifest::Sha256Sums;

pub fn run(root: &Option<PathBuf>, args: &VerifyArgs) -> Result<Exit, Failure> {
    let project = setup::project(root)?;
    let dir = setup::fixtures_dir(&project, &args.output)?;
    let shown = project.display(&dir);
    let committed = setup::read_locked(&dir)?;
    let mismatches = match Sha256Sums::from_tree(&committed) {
        Ok(Some(sums)) => sums.verify(&committed),
        Ok(None) => {
            return Err(hinted(
                anyhow!("{shown}/SHA256SUMS does not exist"),
                "run `codex-harvest harvest` to write it",
            ))
            .or_exit(Exit::Drift);
        }
        Err(e) => {
            return Err(hinted(
                e.context(format!("{shown}/SHA256SUMS is not a valid manifest")),
                "it is written by `codex-harvest harvest`; restore it with git or regenerate",
            ))
            .or_exit(Exit::Drift);
        }
    };
    let report = VerifyReport {
        clean: mismatches.is_empty(),
        mismatches,
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => report.print_text(&shown),
    }
    Ok(if report.clean {
        Exit::Clean
    } else {
        Exit::Drift
    })
}

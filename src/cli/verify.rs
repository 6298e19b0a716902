//! `verify`: the committed tree against its own `SHA256SUMS`, nothing run;
//! or an unpacked bundle against its own and each of its trees'.

use anyhow::anyhow;
use std::path::PathBuf;

use super::args::{Format, VerifyArgs};
use super::exit::{Exit, Failure, Phase};
use super::report::{VerifyReport, print_json};
use super::setup;
use crate::base::failure::hinted;
use crate::engine::manifest::{Mismatch, Sha256Sums};

pub fn run(root: &Option<PathBuf>, args: &VerifyArgs) -> Result<Exit, Failure> {
    if let Some(dir) = &args.bundle {
        let mismatches = crate::harvest::bundle::verify(dir).or_exit(Exit::Drift)?;
        return Ok(report(args, &dir.display().to_string(), mismatches));
    }
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
    Ok(report(args, &shown, mismatches))
}

/// Prints what `verify` found in the tree `shown`, and its exit.
fn report(args: &VerifyArgs, shown: &str, mismatches: Vec<Mismatch>) -> Exit {
    let report = VerifyReport {
        clean: mismatches.is_empty(),
        mismatches,
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => report.print_text(shown),
    }
    if report.clean {
        Exit::Clean
    } else {
        Exit::Drift
    }
}

//! `regenerate`: one scenario, every lane, into a directory of its own (the
//! Nix gate's per-scenario build); compared first with the scenario's
//! committed files when `--expect` gives them.

use anyhow::Context;

use super::args::RegenerateArgs;
use super::cells;
use super::exit::{Exit, Failure, Phase};
use super::report::CheckReport;
use super::setup;
use crate::engine::compare;
use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::tree::{self, Tree};
use crate::harvest::jobs::OnFailure;
use crate::harvest::plan::Unreferenced;
use crate::harvest::slice;

pub fn run(root: &Option<std::path::PathBuf>, args: &RegenerateArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let into = loaded
        .project
        .output_tree(&args.into, "--into")
        .or_exit(Exit::Usage)?;
    slice::refuse_occupied(&into).or_exit(Exit::Usage)?;
    let expected = match &args.expect {
        Some(dir) => Some(tree::read(dir).or_exit(Exit::Io)?),
        None => None,
    };
    let (loaded, failed) = match &args.codex_version {
        Some(v) => cells::one(&loaded, v)?,
        None => (loaded, OnFailure::Fail),
    };
    let regenerated = setup::resolve_and_run(
        &loaded,
        std::slice::from_ref(&args.scenario),
        &args.run,
        &args.toolchain,
        setup::Mode::once(failed),
    )?;
    let planned = regenerated.plan(&loaded, &Tree::new(), Unreferenced::Reject, false)?;
    if let (Some(committed), Some(dir)) = (&expected, &args.expect) {
        let outputs: Tree = planned
            .tree
            .iter()
            .filter(|(p, _)| *p != MANIFEST_FILE && *p != PROVENANCE_FILE)
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        let drift = compare::compare(
            &outputs,
            &scenario_files(committed, &args.scenario, &outputs),
            crate::harvest::events::key,
        );
        if !drift.is_clean() {
            CheckReport {
                shared_inputs_changed: Vec::new(),
                clean: false,
                drift,
                unpinned: regenerated.toolchain.unpinned(&loaded.pins),
                kept_unreferenced: Vec::new(),
            }
            .print_text(&format!("{} ({})", dir.display(), args.scenario));
            return Ok(Exit::Drift);
        }
    }
    slice::write(&into, &planned.tree)
        .with_context(|| format!("writing {}", args.scenario))
        .or_exit(Exit::Io)?;
    crate::outln!(
        "regenerate: wrote {} file(s) of {} under {}",
        planned.tree.len(),
        args.scenario,
        into.display()
    );
    Ok(Exit::Clean)
}

/// The files of `committed` to compare: those at the regenerated paths, and
/// those the scenario's record lists when `committed` has a provenance (a
/// whole tree); nothing else, so `--expect` may name a whole fixtures tree or
/// just the scenario's files.
fn scenario_files(committed: &Tree, scenario: &str, outputs: &Tree) -> Tree {
    let recorded: Vec<String> = crate::harvest::provenance::Provenance::from_tree(committed)
        .ok()
        .flatten()
        .and_then(|p| p.scenarios.get(scenario).map(|r| r.outputs.clone()))
        .unwrap_or_default();
    committed
        .iter()
        .filter(|(p, _)| outputs.contains_key(*p) || recorded.contains(p))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect()
}

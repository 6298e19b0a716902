//! `check`: regenerate in temp dirs and compare with the committed tree.

use std::path::PathBuf;

use super::args::{CheckArgs, Format};
use super::exit::{Exit, Failure, Phase};
use super::report::{CheckReport, print_json};
use super::session;
use crate::compare;
use crate::config::PROVENANCE_FILE;
use crate::harvest::{self, Unreferenced};
use crate::inputs;
use crate::lanes::Lanes;
use crate::manifest::Provenance;
use crate::slice;
use crate::tree::Tree;

pub fn run(root: &Option<PathBuf>, args: &CheckArgs) -> Result<Exit, Failure> {
    let loaded = session::load(root)?;
    let select = &args.select;
    let dir = session::fixtures_dir(&loaded.project, &select.output)?;
    // Against replay, the recordings are the input, not an output: the
    // wire transcripts for the Python SDK, the typescript lane's codex runs
    // for the TypeScript SDK.
    let (lanes, replay) = match args.against_replay {
        true => (
            Lanes {
                python: true,
                wire: false,
                exec: false,
                typescript: true,
            },
            Some(dir.clone()),
        ),
        false => (args.lanes(), None),
    };
    // A tree whose provenance cannot be read was edited by hand: that is
    // drift, said before anything runs.
    let before = session::read_locked(&dir)?;
    if Provenance::from_tree(&before).is_err() {
        let mut drift = compare::hand_edits(&before);
        if !drift.hand_edited.iter().any(|p| p == PROVENANCE_FILE) {
            drift.hand_edited.push(PROVENANCE_FILE.to_string());
        }
        return report(
            &loaded,
            &dir,
            args,
            &drift,
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
    }
    let (generated, full, unpinned) = match args.regenerated.as_slice() {
        [] => {
            let r = session::regenerate(
                &loaded,
                &select.scenarios,
                &args.run,
                &args.toolchain,
                args.repeat as usize,
                lanes,
                replay,
            )?;
            let unpinned = r.toolchain.unpinned(&loaded.pins);
            (r.generated, r.full, unpinned)
        }
        dirs => {
            let generated = slice::read_all(dirs).or_exit(Exit::Usage)?;
            let full = loaded
                .config
                .scenarios
                .iter()
                .all(|s| generated.records.contains_key(&s.name));
            let unpinned = slice::unpinned(&generated);
            (generated, full, unpinned)
        }
    };
    let doc_paths = match select.output {
        None => session::generated_doc_paths(&loaded).to_vec(),
        Some(_) => Vec::new(),
    };
    let (committed, committed_docs) = session::read_locked_with(&dir, &doc_paths)?;
    let policy = Unreferenced::from(select.unreferenced);
    let planned =
        harvest::plan(&loaded.config, &committed, &generated, full, policy).or_exit(Exit::Usage)?;
    // Another SDK or codex is compared on what it produces; that it is not
    // the pinned one is reported apart, not as drift of every record.
    let expected = if unpinned.is_empty() {
        planned.tree
    } else {
        harvest::keep_recorded_toolchains(&planned.tree, &committed).or_exit(Exit::Usage)?
    };
    let mut drift = compare::compare(&expected, &committed, crate::wire::events::key);
    let current = session::current_inputs(&loaded)?;
    if select.output.is_none() {
        let docs = session::generated_docs(&loaded, &expected, &current)?;
        for ((path, want), have) in docs.into_iter().zip(committed_docs) {
            let rel = loaded.project.display(&path);
            let ours = Tree::from([(rel.clone(), want.into_bytes())]);
            let theirs: Tree = have.map(|h| (rel, h)).into_iter().collect();
            drift.merge(compare::compare(&ours, &theirs, crate::wire::events::key));
        }
    }
    let shared_inputs_changed =
        inputs::shared_changes(&session::recorded_inputs(&committed, &[])?, &current);
    let kept = match policy {
        Unreferenced::Warn => planned.unreferenced,
        _ => Vec::new(),
    };
    report(
        &loaded,
        &dir,
        args,
        &drift,
        shared_inputs_changed,
        unpinned,
        kept,
    )
}

/// Shows the drift as `--format` asks; drift fails the check.
fn report(
    loaded: &session::Loaded,
    dir: &std::path::Path,
    args: &CheckArgs,
    drift: &compare::Drift,
    shared_inputs_changed: Vec<inputs::SharedChange>,
    unpinned: Vec<String>,
    kept_unreferenced: Vec<String>,
) -> Result<Exit, Failure> {
    let report = CheckReport {
        shared_inputs_changed,
        clean: drift.is_clean(),
        drift,
        unpinned,
        kept_unreferenced,
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => report.print_text(&loaded.project.display(dir)),
    }
    Ok(if report.clean {
        Exit::Clean
    } else {
        Exit::Drift
    })
}

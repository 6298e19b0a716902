//! `check`: regenerate in temp dirs and compare with the committed tree.

use std::path::PathBuf;

use serde::Serialize;

use super::args::{CheckArgs, Format};
use super::cells;
use super::exit::{Exit, Failure, Phase};
use super::report::{CheckReport, print_drift, print_json};
use super::setup;
use crate::engine::compare::{self, Drift};
use crate::engine::fixture_path::PROVENANCE_FILE;
use crate::engine::tree::Tree;
use crate::harvest::cells::Cell;
use crate::harvest::inputs;
use crate::harvest::jobs::Generated;
use crate::harvest::lanes::Lanes;
use crate::harvest::plan::{self, Unreferenced};
use crate::harvest::provenance::Provenance;
use crate::harvest::reports::codex_compat;
use crate::harvest::slice;

pub fn run(root: &Option<PathBuf>, args: &CheckArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let mut cells = cells::select(&loaded, &args.select, false)?;
    // Replay and the Nix gate's slices are of the main pin's tree.
    if args.against_replay || !args.regenerated.is_empty() {
        cells.truncate(1);
    }
    // The cells run at once, their jobs within the one `--jobs`.
    let labelled = cells.len() > 1;
    let reports = std::thread::scope(|scope| {
        let running: Vec<_> = cells
            .iter()
            .map(|cell| scope.spawn(move || check_cell(cell, args, labelled)))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("a cell's check does not panic"))
            .collect::<Result<Vec<_>, Failure>>()
    })?;
    // The compatibility report is read from the committed trees: with every
    // tree clean, that is what the regenerated ones make of it.
    let whole = args.select.output.is_none() && cells.len() > 1;
    let compat = match whole {
        true => compat_drift(&loaded)?,
        false => None,
    };
    let coverage = match whole {
        true => Some(coverage_drift(&loaded, args)?),
        false => None,
    };
    let clean = reports.iter().all(|r| r.report.clean)
        && compat.as_ref().is_none_or(Drift::is_clean)
        && coverage.as_ref().is_none_or(Drift::is_clean);
    match (args.format.format, reports.len(), &compat) {
        (Format::Json, 1, None) => print_json(&reports[0].report),
        (Format::Json, _, _) => print_json(&MatrixReport {
            clean,
            cells: &reports,
            codex_compat: compat.as_ref(),
            coverage: coverage.as_ref(),
        }),
        (Format::Text, n, _) => {
            for r in &reports {
                if n > 1 {
                    crate::outln!("codex {}:", r.codex_version);
                }
                r.report.print_text(&r.tree);
            }
            if let Some(drift) = &compat {
                print_drift(
                    drift,
                    "docs/codex-compat.md",
                    "hint: run `codex-harvest harvest` to rewrite it from the committed trees",
                );
            }
            if let Some(drift) = &coverage {
                print_drift(
                    drift,
                    "docs/coverage.md",
                    "hint: run `codex-harvest harvest` to rewrite it from the committed trees and each codex's schema",
                );
            }
        }
    }
    Ok(match clean {
        true => Exit::Clean,
        false => Exit::Drift,
    })
}

/// Every cell's check, and the compatibility report's (`--format json`
/// with a version matrix).
#[derive(Serialize)]
struct MatrixReport<'a> {
    clean: bool,
    cells: &'a [CellReport],
    codex_compat: Option<&'a Drift>,
    coverage: Option<&'a Drift>,
}

/// One cell's check.
#[derive(Serialize)]
struct CellReport {
    codex_version: String,
    tree: String,
    #[serde(flatten)]
    report: CheckReport,
}

/// How `docs/codex-compat.md` differs from what the committed trees make.
fn compat_drift(loaded: &crate::harvest::cells::Loaded) -> Result<Option<Drift>, Failure> {
    // A committed tree that is missing or unreadable is drift.
    let Some((path, compat)) = crate::harvest::cells::compat(loaded).or_exit(Exit::Drift)? else {
        return Ok(None);
    };
    Ok(Some(doc_drift(
        loaded.project.display(&path),
        codex_compat::render(&compat).into_bytes(),
        std::fs::read(&path).ok(),
    )))
}

/// How `docs/coverage.md` differs from what the committed trees and each
/// codex's schema make.
fn coverage_drift(
    loaded: &crate::harvest::cells::Loaded,
    args: &CheckArgs,
) -> Result<Drift, Failure> {
    let (path, coverage) = args.toolchain.coverage(loaded)?;
    Ok(doc_drift(
        loaded.project.display(&path),
        crate::harvest::reports::coverage::render(&coverage).into_bytes(),
        std::fs::read(&path).ok(),
    ))
}

/// How a generated doc (`rel`, as the project shows it) differs from what
/// it should hold; `have` is `None` where there is no such file.
fn doc_drift(rel: String, want: Vec<u8>, have: Option<Vec<u8>>) -> Drift {
    let ours = Tree::from([(rel.clone(), want)]);
    let theirs: Tree = have.map(|h| (rel, h)).into_iter().collect();
    compare::compare(&ours, &theirs, crate::harvest::events::key)
}

/// Regenerates one cell and compares it with its committed tree.
fn check_cell(cell: &Cell, args: &CheckArgs, labelled: bool) -> Result<CellReport, Failure> {
    let loaded = &cell.loaded;
    let select = &args.select;
    let dir = cell.target.dir.clone();
    let report = |drift: Drift, shared, unpinned, kept| CellReport {
        codex_version: cell.version().to_string(),
        tree: loaded.project.display(&dir),
        report: CheckReport {
            shared_inputs_changed: shared,
            clean: drift.is_clean(),
            drift,
            unpinned,
            kept_unreferenced: kept,
        },
    };
    // A tree whose provenance cannot be read was edited by hand: that is
    // drift, said before anything runs.
    let before = setup::read_locked(&dir)?;
    if Provenance::from_tree(&before).is_err() {
        let mut drift = compare::hand_edits(&before);
        if !drift.hand_edited.iter().any(|p| p == PROVENANCE_FILE) {
            drift.hand_edited.push(PROVENANCE_FILE.to_string());
        }
        return Ok(report(drift, Vec::new(), Vec::new(), Vec::new()));
    }
    let (generated, full, unpinned) = generate(cell, args, labelled)?;
    let doc_paths = match cell.target.docs {
        true => setup::generated_doc_paths(loaded).to_vec(),
        false => Vec::new(),
    };
    let (committed, committed_docs) = setup::read_locked_with(&dir, &doc_paths)?;
    let policy = Unreferenced::from(select.unreferenced);
    let planned = plan::plan(
        &loaded.config,
        &committed,
        &generated,
        full,
        policy,
        cell.target.declared,
    )
    .or_exit(Exit::Usage)?;
    // Another SDK or codex is compared on what it produces; that it is not
    // the pinned one is reported apart, not as drift of every record.
    let expected = if unpinned.is_empty() {
        planned.tree
    } else {
        plan::keep_recorded_toolchains(&planned.tree, &committed).or_exit(Exit::Usage)?
    };
    let mut drift = compare::compare(&expected, &committed, crate::harvest::events::key);
    let current = setup::current_inputs(loaded)?;
    if cell.target.docs {
        let docs = setup::generated_docs(loaded, &expected, &current)?;
        for ((path, want), have) in docs.into_iter().zip(committed_docs) {
            drift.merge(doc_drift(
                loaded.project.display(&path),
                want.into_bytes(),
                have,
            ));
        }
    }
    let shared_inputs_changed =
        inputs::shared_changes(&setup::recorded_inputs(&committed, &[])?, &current);
    let kept = match policy {
        Unreferenced::Warn => planned.unreferenced,
        _ => Vec::new(),
    };
    Ok(report(drift, shared_inputs_changed, unpinned, kept))
}

/// What the cell's scenarios make now: run here, or read from the slices
/// of `--regenerated`; whether every scenario ran, and what ran unpinned.
fn generate(
    cell: &Cell,
    args: &CheckArgs,
    labelled: bool,
) -> Result<(Generated, bool, Vec<String>), Failure> {
    let loaded = &cell.loaded;
    if !args.regenerated.is_empty() {
        let generated = slice::read_all(&args.regenerated).or_exit(Exit::Usage)?;
        let full = loaded
            .config
            .scenarios
            .iter()
            .all(|s| generated.records.contains_key(&s.name));
        let unpinned = slice::unpinned(&generated);
        return Ok((generated, full, unpinned));
    }
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
            Some(cell.target.dir.clone()),
        ),
        false => (args.lanes(), None),
    };
    let r = setup::resolve_and_run(
        loaded,
        &args.select.scenarios,
        &args.run,
        &args.toolchain,
        setup::Mode {
            repeat: args.repeat as usize,
            lanes,
            replay,
            failed: cell.target.failed,
            labelled,
        },
    )?;
    let unpinned = r.toolchain.unpinned(&loaded.pins);
    Ok((r.generated, r.full, unpinned))
}

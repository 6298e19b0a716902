//! `harvest`: regenerate and commit the tree; also the second half of `pin`.

use anyhow::{Context, anyhow};

use super::args::{HarvestArgs, RunArgs, SelectArgs, ToolchainArgs};
use super::cells;
use super::exit::{Exit, Failure, Phase};
use super::setup::{self, Inputs};
use crate::base::failure::hinted;
use crate::base::interrupt;
use crate::engine::compare;
use crate::engine::tree::{self, Tree};
use crate::engine::tree_lock::TreeLock;
use crate::harvest::cells::Loaded;
use crate::harvest::cells::Target;
use crate::harvest::inputs;
use crate::harvest::jobs::Generated;
use crate::harvest::plan::{self, Planned, Unreferenced};

pub fn run(root: &Option<std::path::PathBuf>, args: &HarvestArgs) -> Result<Exit, Failure> {
    setup::refuse_in_ci("harvest")?;
    let loaded = setup::load(root)?;
    write_cells(&loaded, &args.select, &args.run, &args.toolchain)
}

/// Harvests every cell `select` asks for (the main pin's tree, then each
/// codex of the matrix), then rewrites the compatibility report over them.
/// The matrix's trees come first: a stop at any point leaves each tree
/// entirely old or entirely new, and a report `check` finds out of date.
pub fn write_cells(
    loaded: &Loaded,
    select: &SelectArgs,
    run: &RunArgs,
    toolchain: &ToolchainArgs,
) -> Result<Exit, Failure> {
    let cells = cells::select(loaded, select, true)?;
    let many = cells.len() > 1;
    for cell in cells.iter().rev() {
        if many {
            crate::outln!(
                "harvest: codex {} into {}",
                cell.version(),
                loaded.project.display(&cell.target.dir)
            );
        }
        write(&cell.loaded, &cell.target, select, run, toolchain, None)?;
    }
    if select.output.is_none() {
        write_compat(loaded)?;
    }
    // Like `check`, over the main pin and the whole version matrix only.
    if select.output.is_none() && many {
        write_coverage(loaded, toolchain)?;
    }
    Ok(Exit::Clean)
}

/// Rewrites `docs/coverage.md` from the committed trees and each codex's
/// schema, where it changed.
fn write_coverage(loaded: &Loaded, toolchain: &ToolchainArgs) -> Result<(), Failure> {
    let (path, coverage) = toolchain.coverage(loaded)?;
    let text = crate::harvest::reports::coverage::render(&coverage);
    if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
        crate::base::fs::write_atomic(&path, text.as_bytes()).or_exit(Exit::Io)?;
        interrupt::note_written(format!("{} was written", loaded.project.display(&path)));
        crate::outln!("harvest: wrote {}", loaded.project.display(&path));
    }
    Ok(())
}

/// Rewrites `docs/codex-compat.md` from the committed trees, where it
/// changed.
pub fn write_compat(loaded: &Loaded) -> Result<(), Failure> {
    if let Some((path, compat)) = crate::harvest::cells::compat(loaded).or_exit(Exit::Usage)? {
        let text = crate::harvest::reports::codex_compat::render(&compat);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            crate::base::fs::write_atomic(&path, text.as_bytes()).or_exit(Exit::Io)?;
            interrupt::note_written(format!("{} was written", loaded.project.display(&path)));
            crate::outln!("harvest: wrote {}", loaded.project.display(&path));
        }
    }
    Ok(())
}

/// What `pin` does with the drift of a new toolchain: it is shown (and
/// kept) first, and with `commit` false nothing is written.
pub struct DriftHook<'a> {
    /// Shown the drift, its summary and the regenerated tree.
    pub report: &'a dyn Fn(&compare::Drift, &str, &Tree) -> Result<(), Failure>,
    pub commit: bool,
}

/// Regenerates, commits the tree and writes the checklist; with a hook,
/// first reports how the new tree drifts from the old one, event by event.
pub fn write(
    loaded: &Loaded,
    target: &Target,
    select: &SelectArgs,
    run: &RunArgs,
    toolchain: &ToolchainArgs,
    hook: Option<DriftHook>,
) -> Result<Exit, Failure> {
    let dir = target.dir.clone();
    let shown = loaded.project.display(&dir);
    let policy = Unreferenced::from(select.unreferenced);
    // What the tree's state refuses is refused before anything runs; the
    // tree is read again under the lock once the scenarios have run.
    let before = setup::read_locked(&dir)?;
    let unchanged = regenerated_nothing(loaded, &before, select, policy, target.declared)?;
    refuse_foreign(&unchanged, &shown)?;
    refuse_unreferenced(&unchanged, policy, &shown)?;
    let regenerated = setup::resolve_and_run(
        loaded,
        &select.scenarios,
        run,
        toolchain,
        setup::Mode::once(target.failed),
    )?;
    // The tree is read under the lock, after regenerating: a harvest that
    // committed meanwhile is the base this one builds on, not lost.
    let _lock = TreeLock::exclusive(&dir).or_exit(Exit::Io)?;
    tree::remove_stale_staging(&dir).or_exit(Exit::Io)?;
    let committed = tree::read(&dir).or_exit(Exit::Io)?;
    if target.docs {
        tree::settle_companions(&committed, &setup::generated_doc_paths(loaded))
            .or_exit(Exit::Io)?;
    }
    let planned = regenerated.plan(loaded, &committed, policy, target.declared)?;
    refuse_foreign(&planned, &shown)?;
    refuse_unreferenced(&planned, policy, &shown)?;
    let new_tree = planned.tree;
    if let Some(hook) = hook
        && let Some(exit) = show_drift(&hook, &new_tree, &committed)?
    {
        return Ok(exit);
    }
    let current = setup::current_inputs(loaded)?;
    let (written, docs_written) = commit_new(loaded, target, &new_tree, &committed, &current)?;
    for (path, _) in &docs_written {
        crate::outln!("harvest: wrote {}", loaded.project.display(path));
    }
    if written.is_empty() {
        crate::outln!("harvest: {shown} is unchanged");
    } else {
        crate::outln!("harvest: wrote {} file(s) under {shown}:", written.len());
        for w in &written {
            let gone = if new_tree.contains_key(*w) {
                ""
            } else {
                " (removed)"
            };
            crate::outln!("  {w}{gone}");
        }
    }
    if !regenerated.full {
        let others = setup::recorded_inputs(&new_tree, &select.scenarios)?;
        for c in inputs::shared_changes(&others, &current) {
            crate::outln!(
                "note: {} changed: {} other scenario(s) are stale until `codex-harvest harvest` regenerates them all (check fails until then)",
                c.input,
                c.stale
            );
        }
    }
    if policy == Unreferenced::Warn {
        for f in &planned.unreferenced {
            crate::outln!("warning: kept {f}, which no scenario produces (--unreferenced=warn)");
        }
    }
    Ok(Exit::Clean)
}

/// The hook's report of how `new_tree` drifts from `committed`; the exit,
/// when the hook commits nothing.
fn show_drift(
    hook: &DriftHook,
    new_tree: &Tree,
    committed: &Tree,
) -> Result<Option<Exit>, Failure> {
    let drift = compare::compare(new_tree, committed, crate::harvest::events::key);
    let streams: Vec<&str> = drift
        .changed
        .iter()
        .map(|f| f.path.as_str())
        .chain(drift.missing.iter().map(String::as_str))
        .filter(|p| p.ends_with(".jsonl"))
        .collect();
    let summary = match streams.len() {
        0 => {
            "event streams: none changed (only the recorded versions and digests moved)".to_string()
        }
        n => format!("event streams: {n} changed: {}", streams.join(", ")),
    };
    (hook.report)(&drift, &summary, new_tree)?;
    Ok((!hook.commit).then(|| {
        if drift.is_clean() {
            Exit::Clean
        } else {
            Exit::Drift
        }
    }))
}

/// Commits `new_tree` and its generated docs where they differ from what is
/// there: the tree's paths that changed, and the docs written.
fn commit_new<'t>(
    loaded: &Loaded,
    target: &Target,
    new_tree: &'t Tree,
    committed: &'t Tree,
    current: &Inputs,
) -> Result<(Vec<&'t String>, Vec<tree::Companion>), Failure> {
    let dir = &target.dir;
    let shown = loaded.project.display(dir);
    let written: Vec<&String> = new_tree
        .iter()
        .filter(|(path, bytes)| committed.get(*path) != Some(*bytes))
        .map(|(path, _)| path)
        .chain(committed.keys().filter(|p| !new_tree.contains_key(*p)))
        .collect();
    let docs = match target.docs {
        true => setup::generated_docs(loaded, new_tree, current)?,
        false => Vec::new(),
    };
    let docs_written: Vec<tree::Companion> = docs
        .into_iter()
        .filter(|(path, text)| std::fs::read(path).ok().as_deref() != Some(text.as_bytes()))
        .map(|(path, text)| (path, text.into_bytes()))
        .collect();
    if !written.is_empty() || !docs_written.is_empty() {
        tree::commit(dir, new_tree, !written.is_empty(), &docs_written)
            .with_context(|| {
                format!(
                    "writing the fixtures under {}; the tree was left as it was",
                    dir.display()
                )
            })
            .or_exit(Exit::Io)?;
        interrupt::note_written(match (written.is_empty(), docs_written.is_empty()) {
            (false, false) => {
                format!("the new tree under {shown} and its generated docs were written")
            }
            (false, true) => format!("the new tree under {shown} was written"),
            (true, _) => "the generated docs were written".to_string(),
        });
    }
    Ok((written, docs_written))
}

/// The plan of a run that regenerated nothing: what the tree as it is
/// holds that no scenario produces, and whether the policy may drop it.
fn regenerated_nothing(
    loaded: &Loaded,
    committed: &tree::Tree,
    select: &SelectArgs,
    policy: Unreferenced,
    declared: bool,
) -> Result<Planned, Failure> {
    plan::plan(
        &loaded.config,
        committed,
        &Generated::default(),
        select.scenarios.is_empty(),
        policy,
        declared,
    )
    .or_exit(Exit::Usage)
}

/// A tree holding files a harvest would replace that no earlier harvest
/// can be shown to have written is refused, whatever the policy: they are
/// someone else's.
fn refuse_foreign(planned: &Planned, shown: &str) -> Result<(), Failure> {
    if planned.foreign.is_empty() {
        return Ok(());
    }
    let foreign: Vec<&str> = planned.foreign.iter().map(String::as_str).collect();
    Err(hinted(
        anyhow!(
            "{shown} holds {} file(s) a harvest would replace that no earlier harvest wrote (the tree has no SHA256SUMS and provenance.json of this tool's listing them): {}; nothing was run or written",
            foreign.len(),
            plan::some_of(&foreign)
        ),
        "for the harvest to replace them, remove them (git rm: `codex-harvest audit` first shows how each differs from what codex sends); or point --output at a new or empty directory, or at a tree an earlier harvest wrote",
    ))
    .or_exit(Exit::Usage)
}

/// `--unreferenced=reject` (the default) refuses a tree holding files no
/// scenario produces.
fn refuse_unreferenced(
    planned: &Planned,
    policy: Unreferenced,
    shown: &str,
) -> Result<(), Failure> {
    if policy == Unreferenced::Reject && !planned.unreferenced.is_empty() {
        return Err(hinted(
            anyhow!(
                "{shown} holds {} file(s) that no scenario produces: {}; nothing was run or written",
                planned.unreferenced.len(),
                planned.unreferenced.join(", ")
            ),
            "remove them (git rm), declare them as a scenario's outputs in config/harvest.toml, or pass --unreferenced=delete (drop them) or --unreferenced=warn (keep them)",
        ))
        .or_exit(Exit::Drift);
    }
    Ok(())
}

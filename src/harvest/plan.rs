//! The tree a run leaves: what it regenerated laid over what it did not
//! run, the unreferenced files as the policy says, and provenance and
//! `SHA256SUMS` recomputed.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

use crate::base::failure::hinted;
use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::manifest::Sha256Sums;
use crate::engine::tree::Tree;
use crate::harvest::config::HarvestConfig;
use crate::harvest::jobs::Generated;
use crate::harvest::ownership::Ownership;
use crate::harvest::provenance::{Provenance, ScenarioRecord, listed_outputs};

/// What to do with committed files that no scenario of the catalogue
/// produces (a scenario removed, a stray `notes.txt`). `harvest` and `check`
/// take the same policy, so a harvest is always followed by a clean check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unreferenced {
    /// `harvest` refuses to write; `check` reports them as drift.
    #[default]
    Reject,
    /// `harvest` drops them from the new tree; `check` reports them as drift.
    Delete,
    /// Both keep them (and `SHA256SUMS` lists them), with a warning.
    Warn,
}

/// The tree a run should leave, and what it did with unreferenced files.
#[derive(Debug)]
pub struct Planned {
    pub tree: Tree,
    pub unreferenced: Vec<String>,
    /// Files of the catalogue's that the tree holds but cannot prove this
    /// tool wrote (an `--output` dir with a user's `python/x.jsonl`): a
    /// harvest would replace them, so it refuses.
    pub foreign: Vec<String>,
}

/// The fixtures tree that `generated` makes of `committed`: the regenerated
/// outputs (each regenerated scenario's old files in the lanes it ran are
/// gone, so a lane that fails now leaves no stale fixture and one that runs
/// again no stale failure record), the outputs of the scenarios and lanes
/// not run this time (`full` = every scenario ran in every lane), the
/// unreferenced files as `policy` says, and provenance and `SHA256SUMS`
/// recomputed. `declared`: `committed` is one of the project's own trees
/// ([`Ownership`]).
pub fn plan(
    config: &HarvestConfig,
    committed: &Tree,
    generated: &Generated,
    full: bool,
    policy: Unreferenced,
    declared: bool,
) -> Result<Planned> {
    let referenced = |path: &str| {
        path == MANIFEST_FILE
            || path == PROVENANCE_FILE
            || config.scenarios.iter().any(|s| s.produces(path))
    };
    let owner = Ownership::of(committed, declared);
    let unreferenced: Vec<String> = committed
        .keys()
        .filter(|p| !referenced(p))
        .cloned()
        .collect();
    if policy == Unreferenced::Delete {
        refuse_unaccounted(&owner, committed, &unreferenced)?;
    }
    let regenerated = |path: &str| {
        config
            .scenarios
            .iter()
            .any(|s| generated.answers_for(s, path))
    };
    let base: Tree = committed
        .iter()
        .filter(|(p, _)| {
            if referenced(p) {
                !full && !regenerated(p)
            } else {
                policy == Unreferenced::Warn
            }
        })
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let records = merged_records(config, committed, generated)?;
    Ok(Planned {
        tree: assemble(&base, &generated.outputs, records, full)?,
        unreferenced,
        foreign: owner
            .foreign(committed, |p| referenced(p))
            .into_iter()
            .filter(|p| referenced(p))
            .map(str::to_string)
            .collect(),
    })
}

/// The regenerated scenarios' provenance records; one run in some lanes
/// only lists the other lanes' files as the committed record did.
fn merged_records(
    config: &HarvestConfig,
    committed: &Tree,
    generated: &Generated,
) -> Result<BTreeMap<String, ScenarioRecord>> {
    let old = match generated.partial.is_empty() {
        true => None,
        false => Provenance::from_tree(committed)?,
    };
    let mut records = generated.records.clone();
    for (name, record) in records.iter_mut() {
        let (Some(scope), Some(s)) = (
            generated.partial.get(name),
            config.scenarios.iter().find(|s| s.name == *name),
        ) else {
            continue;
        };
        let before: Vec<String> = old
            .as_ref()
            .and_then(|p| p.scenarios.get(name))
            .map(|r| r.outputs.clone())
            .unwrap_or_default();
        let now = record.outputs.clone();
        record.outputs = listed_outputs(s, |p| match scope.contains(p) {
            true => now.iter().any(|o| o == p),
            false => before.iter().any(|o| o == p),
        });
    }
    Ok(records)
}

/// Refuses to drop a file that no earlier harvest can be shown to have
/// written ([`Ownership::vouches_for`]): `--unreferenced=delete` removes
/// fixtures an earlier harvest wrote, never a file it cannot account for (a
/// user's notes, a directory with a `SHA256SUMS` of its own).
fn refuse_unaccounted(owner: &Ownership, committed: &Tree, unreferenced: &[String]) -> Result<()> {
    let unaccounted = owner.unvouched(committed, unreferenced.iter().map(String::as_str));
    if unaccounted.is_empty() {
        return Ok(());
    }
    Err(hinted(
        anyhow!(
            "{} file(s) that no scenario produces are not fixtures of an earlier harvest (no SHA256SUMS of a tree this tool wrote lists them as they are): {}; --unreferenced=delete removes only such fixtures, so nothing was run or written",
            unaccounted.len(),
            some_of(&unaccounted)
        ),
        "check that --output is a fixtures tree; remove those files yourself, or pass --unreferenced=warn to keep them",
    ))
}

/// The first ten of `paths`, and how many more.
pub fn some_of(paths: &[&str]) -> String {
    let shown = paths[..paths.len().min(10)].join(", ");
    match paths.len().saturating_sub(10) {
        0 => shown,
        n => format!("{shown} and {n} more"),
    }
}

/// `tree` with each scenario's recorded toolchain taken from `committed`:
/// what `check` compares when a component is not the pinned one (an SDK
/// checkout, another codex), so that the fixtures are compared and the
/// toolchain difference is reported apart, not as drift.
pub fn keep_recorded_toolchains(tree: &Tree, committed: &Tree) -> Result<Tree> {
    let (Some(mut provenance), Some(recorded)) = (
        Provenance::from_tree(tree)?,
        Provenance::from_tree(committed)?,
    ) else {
        return Ok(tree.clone());
    };
    for (name, record) in provenance.scenarios.iter_mut() {
        if let Some(old) = recorded.scenarios.get(name) {
            record.toolchain = old.toolchain.clone();
        }
    }
    let mut out = tree.clone();
    out.insert(PROVENANCE_FILE.into(), provenance.render());
    out.insert(
        MANIFEST_FILE.into(),
        Sha256Sums::of(&out).render().into_bytes(),
    );
    Ok(out)
}

/// Builds a whole fixtures tree: `base` with `outputs` laid over it, the
/// provenance updated with `records` and the manifest recomputed. With
/// `replace_records`, provenance keeps only `records`.
fn assemble(
    base: &Tree,
    outputs: &Tree,
    records: BTreeMap<String, ScenarioRecord>,
    replace_records: bool,
) -> Result<Tree> {
    let mut tree = base.clone();
    tree.remove(MANIFEST_FILE);
    let mut provenance = if replace_records {
        Provenance::default()
    } else {
        Provenance::from_tree(base)?.unwrap_or_default()
    };
    provenance.scenarios.extend(records);
    tree.extend(outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
    tree.insert(PROVENANCE_FILE.into(), provenance.render());
    tree.insert(
        MANIFEST_FILE.into(),
        Sha256Sums::of(&tree).render().into_bytes(),
    );
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(name: &str, body: &str) -> Generated {
        Generated {
            outputs: Tree::from([(format!("python/{name}.jsonl"), body.as_bytes().to_vec())]),
            records: BTreeMap::from([(
                name.to_string(),
                ScenarioRecord::new(
                    vec![format!("python/{name}.jsonl")],
                    BTreeMap::new(),
                    BTreeMap::new(),
                ),
            )]),
            partial: BTreeMap::new(),
        }
    }

    #[test]
    fn assemble_lays_outputs_over_the_base_and_rehashes() {
        let assemble = |base: &Tree, g: Generated, replace| {
            assemble(base, &g.outputs, g.records, replace).unwrap()
        };
        let first = assemble(&Tree::new(), generated("a", "{}\n"), true);
        assert!(
            Sha256Sums::from_tree(&first)
                .unwrap()
                .unwrap()
                .verify(&first)
                .is_empty()
        );
        let second = assemble(&first, generated("b", "[]\n"), false);
        let p = Provenance::from_tree(&second).unwrap().unwrap();
        assert_eq!(p.scenarios.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(second.contains_key("python/a.jsonl") && second.contains_key("python/b.jsonl"));
        let replaced = assemble(&second, generated("b", "[]\n"), true);
        let p = Provenance::from_tree(&replaced).unwrap().unwrap();
        assert_eq!(p.scenarios.keys().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn plan_keeps_or_drops_unreferenced_files_by_policy() {
        let config = HarvestConfig::parse(
            "model = \"m\"\ntimeout_secs = 5\n[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"python/a.jsonl\"]\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = [\"python/b.jsonl\"]\n",
        )
        .unwrap();
        let first = plan(
            &config,
            &Tree::new(),
            &generated("a", "{}\n"),
            false,
            Unreferenced::Reject,
            false,
        )
        .unwrap()
        .tree;
        let second = plan(
            &config,
            &first,
            &generated("b", "{}\n"),
            false,
            Unreferenced::Reject,
            false,
        )
        .unwrap()
        .tree;
        // An earlier harvest's fixture (its scenario since removed), as its
        // SHA256SUMS lists it, and a user's file that no manifest vouches for.
        let mut committed = second.clone();
        committed.insert("python/gone.jsonl".into(), b"{}\n".to_vec());
        committed.insert(
            MANIFEST_FILE.into(),
            Sha256Sums::of(&committed).render().into_bytes(),
        );
        for (policy, kept) in [
            (Unreferenced::Reject, false),
            (Unreferenced::Delete, false),
            (Unreferenced::Warn, true),
        ] {
            let planned = plan(
                &config,
                &committed,
                &generated("a", "[]\n"),
                false,
                policy,
                false,
            )
            .unwrap();
            assert_eq!(planned.unreferenced, ["python/gone.jsonl"]);
            assert_eq!(
                planned.tree.contains_key("python/gone.jsonl"),
                kept,
                "{policy:?}"
            );
            assert!(
                planned.tree.contains_key("python/b.jsonl"),
                "a partial run keeps b"
            );
            assert_eq!(
                Sha256Sums::from_tree(&planned.tree)
                    .unwrap()
                    .unwrap()
                    .verify(&planned.tree),
                []
            );
        }
        let mut hand_made = committed.clone();
        hand_made.insert("notes.txt".into(), b"mine".to_vec());
        let edited = hand_made.get_mut("python/gone.jsonl").unwrap();
        edited.extend_from_slice(b"{}\n");
        let err = plan(
            &config,
            &hand_made,
            &generated("a", "[]\n"),
            false,
            Unreferenced::Delete,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "2 file(s) that no scenario produces are not fixtures of an earlier harvest"
            ) && err.contains(": notes.txt, python/gone.jsonl;"),
            "{err}"
        );
        let warned = plan(
            &config,
            &hand_made,
            &generated("a", "[]\n"),
            false,
            Unreferenced::Warn,
            false,
        )
        .unwrap();
        assert_eq!(warned.tree["notes.txt"], b"mine");
        let full = plan(
            &config,
            &committed,
            &generated("a", "[]\n"),
            true,
            Unreferenced::Warn,
            false,
        )
        .unwrap();
        assert!(
            !full.tree.contains_key("python/b.jsonl"),
            "a full run keeps only what it made"
        );
    }

    fn two_lanes() -> HarvestConfig {
        HarvestConfig::parse(
            "model = \"m\"\ntimeout_secs = 5\n[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"python/a.jsonl\"]\nexec = { steps = [{ prompt = \"p\", output = \"exec/a.jsonl\" }] }\n",
        )
        .unwrap()
    }

    fn run_of(files: &[(&str, &str)], partial: Option<&[&str]>) -> Generated {
        let outputs: Tree = files
            .iter()
            .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
            .collect();
        let config = two_lanes();
        let record = ScenarioRecord::new(
            listed_outputs(&config.scenarios[0], |p| outputs.contains_key(p)),
            BTreeMap::new(),
            BTreeMap::new(),
        );
        Generated {
            outputs,
            records: BTreeMap::from([("a".to_string(), record)]),
            partial: partial
                .map(|paths| {
                    BTreeMap::from([(
                        "a".to_string(),
                        paths.iter().map(|p| p.to_string()).collect(),
                    )])
                })
                .unwrap_or_default(),
        }
    }

    /// Issue 30, item 9: a scenario's harvest owns all its files: a lane
    /// that fails now leaves no stale fixture, one that runs again no
    /// stale failure record.
    #[test]
    fn a_scenarios_run_replaces_every_file_of_its_lanes() {
        let config = two_lanes();
        let plan = |committed: &Tree, g: &Generated| {
            plan(&config, committed, g, false, Unreferenced::Reject, true)
                .unwrap()
                .tree
        };
        let fine = plan(
            &Tree::new(),
            &run_of(
                &[
                    ("python/a.jsonl", "{}\n"),
                    ("exec/a.jsonl", "{}\n"),
                    ("exec/a.command.json", "{}\n"),
                ],
                None,
            ),
        );
        let failing = plan(
            &fine,
            &run_of(
                &[
                    ("python/a.failed", "boom\n"),
                    ("exec/a.jsonl", "{}\n"),
                    ("exec/a.command.json", "{}\n"),
                ],
                None,
            ),
        );
        assert!(
            !failing.contains_key("python/a.jsonl"),
            "{:?}",
            failing.keys()
        );
        assert!(failing.contains_key("python/a.failed"));
        let fixed = plan(
            &failing,
            &run_of(
                &[
                    ("python/a.jsonl", "{}\n"),
                    ("exec/a.jsonl", "{}\n"),
                    ("exec/a.command.json", "{}\n"),
                ],
                None,
            ),
        );
        assert_eq!(fixed, fine);
    }

    /// Issue 30, item 10: a run in some lanes keeps the other lanes' files
    /// and their place in the record, so `check --lane` compares only what
    /// it ran.
    #[test]
    fn a_run_in_some_lanes_keeps_the_others_as_committed() {
        let config = two_lanes();
        let committed = plan(
            &config,
            &Tree::new(),
            &run_of(
                &[("python/a.jsonl", "{}\n"), ("exec/a.failed", "no exec\n")],
                None,
            ),
            false,
            Unreferenced::Reject,
            true,
        )
        .unwrap()
        .tree;
        let python_only = run_of(
            &[("python/a.jsonl", "{}\n")],
            Some(&["python/a.jsonl", "python/a.failed"]),
        );
        let planned = plan(
            &config,
            &committed,
            &python_only,
            false,
            Unreferenced::Reject,
            true,
        )
        .unwrap()
        .tree;
        assert_eq!(planned, committed);
    }
}

//! Orchestration, where the engine meets the codex side (with `lanes/`): run
//! the selected scenarios, `--jobs` at a time and `--repeat` times each, and
//! plan the fixtures tree with its manifest and provenance.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use anyhow::{Result, anyhow};

use crate::base::failure::{self, hinted};
use crate::base::project::Project;
use crate::codex::model::Script;
use crate::engine::compare;
use crate::engine::drift_text;
use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::manifest::{ComponentRecord, Provenance, ScenarioRecord, Sha256Sums};
use crate::engine::tree::Tree;
use crate::harvest::config::{HarvestConfig, Scenario};
use crate::harvest::inputs;
use crate::harvest::lanes::{Lane, Runner, Workers, lanes_of, needs_worker, run_lane};
use crate::harvest::ownership::Ownership;
use crate::harvest::run::Session;
use crate::process::job_slots::Slots;
use crate::process::schedule::{Pending, Queue};

/// What a set of scenarios produced: normalised outputs and their records.
#[derive(Debug, Default)]
pub struct Generated {
    pub outputs: Tree,
    pub records: BTreeMap<String, ScenarioRecord>,
    /// The scenarios run in some of their lanes only (`check --lane`,
    /// against replay), each with the paths those lanes answer for; a
    /// scenario not here answered for every file it produces.
    pub partial: BTreeMap<String, BTreeSet<String>>,
}

impl Generated {
    /// Whether the run of scenario `s` answers for `path`: its files there
    /// are what this run made of them, and an old one it did not make again
    /// is gone.
    fn answers_for(&self, s: &Scenario, path: &str) -> bool {
        self.records.contains_key(&s.name)
            && s.produces(path)
            && self.partial.get(&s.name).is_none_or(|p| p.contains(path))
    }
}

/// Checks that each selected scenario has its module and model script, so a
/// typo is a config error before anything runs.
pub fn check_inputs(project: &Project, scenarios: &[&Scenario]) -> Result<()> {
    for s in scenarios {
        let typescript = (!s.typescript.is_empty())
            .then(|| (project.typescript_module(&s.name), "TypeScript module"));
        for (path, what) in [
            (project.scenario_module(&s.name), "module"),
            (project.model_script(&s.name), "model script"),
        ]
        .into_iter()
        .chain(typescript)
        {
            if !path.is_file() {
                return Err(hinted(
                    anyhow!(
                        "scenario {:?} has no {what}: {} is missing",
                        s.name,
                        project.display(&path)
                    ),
                    "create it, or remove the scenario from config/harvest.toml",
                ));
            }
        }
        for note in Script::load(&project.model_script(&s.name))?.deprecations {
            crate::errln!(
                "warning: {}: {note}",
                project.display(&project.model_script(&s.name))
            );
        }
    }
    Ok(())
}

/// One job of a run's schedule: a lane of a scenario, run `repeat` times.
#[derive(Clone, Copy)]
struct Job {
    scenario: usize,
    lane: Lane,
}

/// How far each scenario is: its lanes' results, the time they took, and
/// which of its progress lines may be printed.
struct Progress {
    results: Vec<Vec<(Lane, Result<Tree>)>>,
    remaining: Vec<usize>,
    seconds: Vec<f64>,
    printed: usize,
}

/// Runs every lane of every scenario in `scenarios` `repeat` times (at least
/// once), as many at a time as `slots` allows (shared with any other
/// schedule of the run), as one schedule: each (scenario, lane) is a job,
/// the longest expected first (`durations`, remembered from earlier runs;
/// the catalogue order when there are none), so a slow scenario's lanes
/// start early and the others fill the gaps. All of them run even if one
/// fails; any failure, or any difference between a lane's runs, fails the
/// whole set. Progress and results keep catalogue order.
pub fn regenerate(
    session: &Session,
    scenarios: &[&Scenario],
    repeat: usize,
    slots: &Slots,
    failed: OnFailure,
) -> Result<Generated> {
    let mut durations = Durations::load(session.durations.as_deref());
    let jobs: Vec<Pending<Job>> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            lanes_of(s, session.lanes)
                .into_iter()
                .map(move |lane| Job { scenario: i, lane })
        })
        .map(|job| {
            let s = scenarios[job.scenario];
            Pending {
                job,
                expected: durations.expected(&s.name, job.lane),
                needs_worker: needs_worker(session, s, job.lane),
            }
        })
        .collect();
    let job_count = jobs.len();
    let queue = Mutex::new(Queue::new(jobs));
    let workers = Workers::default();
    let progress = Mutex::new(Progress {
        results: scenarios.iter().map(|_| Vec::new()).collect(),
        remaining: scenarios
            .iter()
            .map(|s| lanes_of(s, session.lanes).len())
            .collect(),
        seconds: vec![0.0; scenarios.len()],
        printed: 0,
    });
    let took: Mutex<Vec<(String, Lane, f64)>> = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..slots.count().clamp(1, job_count.max(1)) {
            scope.spawn(|| {
                let mut runner = Runner::new(session, &workers);
                // After a stop signal no job starts (`take` says so).
                while let Some(_slot) = slots.take() {
                    let next = queue.lock().expect("queue").next(workers.ready());
                    let Some(job) = next else {
                        break;
                    };
                    let s = scenarios[job.scenario];
                    let start = Instant::now();
                    let result = run_repeated(&mut runner, s, job.lane, repeat);
                    let mut seconds = start.elapsed().as_secs_f64();
                    if let Some(worker) = runner.take_worker_start() {
                        seconds -= worker.as_secs_f64();
                    }
                    // Against replay a job takes what replay takes, not codex.
                    if result.is_ok() && session.replay.is_none() {
                        took.lock().expect("durations").push((
                            s.name.clone(),
                            job.lane,
                            seconds / repeat.max(1) as f64,
                        ));
                    }
                    let mut p = progress.lock().expect("progress");
                    p.results[job.scenario].push((job.lane, result));
                    p.remaining[job.scenario] -= 1;
                    p.seconds[job.scenario] += seconds;
                    print_done(session, scenarios, &mut p, failed);
                }
            });
        }
    });
    drop(workers);
    crate::base::interrupt::check()?;
    for (name, lane, seconds) in took.into_inner().expect("durations") {
        durations.remember(&name, lane, seconds);
    }
    durations.save(session.durations.as_deref());
    let mut generated = Generated::default();
    let mut failures = Vec::new();
    let results = progress.into_inner().expect("progress").results;
    for (s, mut lanes) in scenarios.iter().zip(results) {
        lanes.sort_by_key(|(lane, _)| *lane);
        let mut errors = Vec::new();
        let mut files = Tree::new();
        // A cell's failed lane has its record in place of its outputs.
        for (lane, result) in lanes {
            match (result, failed) {
                (Ok(tree), _) => files.extend(tree),
                (Err(e), OnFailure::Fail) => errors.push(e),
                (Err(e), OnFailure::Record) => {
                    let path = s.failure_output(lane.name());
                    files.insert(path, failure_text(session, &e).into_bytes());
                }
            }
        }
        if !errors.is_empty() {
            failures.push(
                failure::several("of its lanes failed", errors)
                    .context(format!("scenario {} failed", s.name)),
            );
            continue;
        }
        let record = ScenarioRecord::new(
            listed_outputs(s, |p| files.contains_key(p)),
            inputs::digests(session.project, session.config, &session.pins.digest, s)?,
            toolchain_record(session, s),
        );
        generated.outputs.extend(files);
        generated.records.insert(s.name.clone(), record);
        if let Some(paths) =
            crate::harvest::lanes::scope(s, session.lanes, session.replay.is_some())
        {
            generated.partial.insert(s.name.clone(), paths);
        }
    }
    match failures.is_empty() {
        true => Ok(generated),
        false => Err(failure::several("scenarios failed", failures)),
    }
}

/// The outputs a scenario's record lists, of those `has`: its declared
/// outputs in the catalogue's order, then its failure records in path
/// order, as provenance has always listed them.
fn listed_outputs(s: &Scenario, has: impl Fn(&str) -> bool) -> Vec<String> {
    let mut failed: Vec<String> = crate::harvest::config::LANE_DIRS
        .iter()
        .map(|l| s.failure_output(l))
        .filter(|p| has(p))
        .collect();
    failed.sort();
    s.all_outputs()
        .map(|o| o.to_string())
        .filter(|o| has(o))
        .chain(failed)
        .collect()
}

/// What a failed lane does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// The run fails (the main pin: every scenario must run).
    Fail,
    /// The failure is recorded as the lane's fixture (a matrix cell: a codex
    /// that cannot run a scenario is a finding, and a gate as long as it
    /// stays the same failure).
    Record,
}

/// A lane's failure as a cell records it: every cause, one a line, with
/// the paths of this machine's run in place of what they stand for, and
/// secrets redacted.
fn failure_text(session: &Session, error: &anyhow::Error) -> String {
    let mut text: String = error
        .chain()
        .map(|c| format!("{}\n", c.to_string().trim_end()))
        .collect();
    let t = session.toolchain;
    for (path, name) in [
        (t.python_prefix.as_path(), "<python-prefix>"),
        (t.codex.path.as_path(), "<codex>"),
        (session.project.root(), "<project>"),
    ] {
        text = text.replace(&*path.to_string_lossy(), name);
    }
    crate::engine::secrets::redact(&text)
}

/// Prints the progress line of every scenario whose lanes are all done and
/// whose predecessors' lines are printed: catalogue order, whatever order
/// the jobs end in.
fn print_done(session: &Session, scenarios: &[&Scenario], p: &mut Progress, on_failure: OnFailure) {
    while p.printed < scenarios.len() && p.remaining[p.printed] == 0 {
        let i = p.printed;
        let failed = p.results[i].iter().any(|(_, r)| r.is_err());
        let line = match failed {
            false => format!("  {:<32} ok ({:.1} s)", scenarios[i].name, p.seconds[i]),
            true => match on_failure {
                OnFailure::Fail => format!("  {:<32} FAILED", scenarios[i].name),
                OnFailure::Record => format!("  {:<32} failed (recorded)", scenarios[i].name),
            },
        };
        (session.progress)(&line);
        p.printed += 1;
    }
}

/// Runs a lane of `s` `repeat` times and fails naming the file, line and
/// field where a later run differs from the first: a missing normalisation
/// rule.
fn run_repeated(runner: &mut Runner, s: &Scenario, lane: Lane, repeat: usize) -> Result<Tree> {
    let first = run_lane(runner, s, lane)?;
    for run in 2..=repeat {
        let again = run_lane(runner, s, lane)?;
        let drift = compare::compare(&again, &first, crate::harvest::events::key);
        if !drift.is_clean() {
            let mut report = String::new();
            for f in &drift.changed {
                report.push_str(&format!("{}\n", f.path));
                for d in &f.differences {
                    report.push_str(&drift_text::render(d, drift_text::Style::PLAIN));
                }
            }
            return Err(hinted(
                anyhow!(
                    "nondeterministic: run {run} of the {} lane differs from run 1 (\"committed\" is run 1)\n{}",
                    lane.name(),
                    report.trim_end()
                ),
                "add a normalisation rule for the varying value in config/harvest.toml, or make the scenario deterministic",
            ));
        }
    }
    Ok(first)
}

/// How long each (scenario, lane) job took when it last ran, kept in the
/// cache: the order a schedule starts its jobs in. Missing or unreadable,
/// it is empty; it is only ever a hint.
#[derive(Default)]
struct Durations {
    seconds: BTreeMap<String, f64>,
}

impl Durations {
    fn key(scenario: &str, lane: Lane) -> String {
        format!("{scenario}/{}", lane.name())
    }

    fn load(path: Option<&std::path::Path>) -> Durations {
        let seconds = path
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Durations { seconds }
    }

    /// A job never timed goes first: catalogue order among them.
    fn expected(&self, scenario: &str, lane: Lane) -> f64 {
        self.seconds
            .get(&Self::key(scenario, lane))
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    fn remember(&mut self, scenario: &str, lane: Lane, seconds: f64) {
        self.seconds.insert(Self::key(scenario, lane), seconds);
    }

    fn save(&self, path: Option<&std::path::Path>) {
        if let Some(path) = path
            && let Ok(bytes) = serde_json::to_vec_pretty(&self.seconds)
        {
            let _ = crate::base::fs::write_atomic(path, &bytes);
        }
    }
}

fn toolchain_record(session: &Session, s: &Scenario) -> BTreeMap<String, ComponentRecord> {
    let t = session.toolchain;
    let record = |c: &crate::codex::toolchain::Component| ComponentRecord {
        version: c.version.clone(),
        pinned: c.pinned,
        digest: c.digest.clone(),
        commit: c.commit.clone(),
        bundles_codex: None,
    };
    let mut components = BTreeMap::from([
        ("codex".into(), record(&t.codex)),
        (
            "python-sdk".into(),
            ComponentRecord {
                bundles_codex: session.pins.sdk_runtime_differs().map(str::to_string),
                ..record(&t.sdk)
            },
        ),
        // The interpreter's minor, which decides the wheels it runs: the
        // patch level differs between the two ways in and is not recorded.
        (
            "python".into(),
            ComponentRecord {
                version: t
                    .python_version
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("."),
                pinned: t.python_pinned(session.pins),
                digest: None,
                commit: None,
                bundles_codex: None,
            },
        ),
    ]);
    // Node itself is the system's and not recorded: the SDK's bytes are what
    // the lock pins, and no lock wheel depends on Node's version.
    if let Some(pin) = session
        .typescript_pin
        .as_ref()
        .filter(|_| !s.typescript.is_empty())
    {
        components.insert(
            "typescript-sdk".into(),
            ComponentRecord {
                version: pin.version.clone(),
                pinned: true,
                digest: Some(pin.integrity.clone()),
                commit: None,
                bundles_codex: None,
            },
        );
    }
    components
}

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

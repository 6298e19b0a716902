//! The jobs of a run: each (scenario, lane) of the selection, `--jobs` at a
//! time and `--repeat` times each, the longest expected first; their
//! results gathered into what the run generated.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use anyhow::{Result, anyhow};

use crate::base::failure::{self, hinted};
use crate::engine::compare;
use crate::engine::drift_text;
use crate::engine::tree::Tree;
use crate::harvest::config::Scenario;
use crate::harvest::durations::Durations;
use crate::harvest::inputs;
use crate::harvest::lanes::{Lane, Runner, Workers, lanes_of, needs_worker, run_lane, scope};
use crate::harvest::protocol_check;
use crate::harvest::provenance::{ScenarioRecord, listed_outputs, toolchain_record};
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
    pub(crate) fn answers_for(&self, s: &Scenario, path: &str) -> bool {
        self.records.contains_key(&s.name)
            && s.produces(path)
            && self.partial.get(&s.name).is_none_or(|p| p.contains(path))
    }
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
pub fn run_scenarios(
    session: &Session,
    scenarios: &[&Scenario],
    repeat: usize,
    slots: &Slots,
    failed: OnFailure,
) -> Result<Generated> {
    let mut durations = Durations::load(session.durations.as_deref());
    let jobs = jobs_of(session, scenarios, &durations);
    let (results, took) = run_jobs(session, scenarios, jobs, repeat, slots, failed);
    crate::base::interrupt::check()?;
    for (name, lane, seconds) in took {
        durations.remember(&name, lane, seconds);
    }
    durations.save(session.durations.as_deref());
    gather(session, scenarios, results, failed)
}

/// Every (scenario, lane) of `scenarios` as a job, with how long it took
/// last time.
fn jobs_of(session: &Session, scenarios: &[&Scenario], durations: &Durations) -> Vec<Pending<Job>> {
    scenarios
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
        .collect()
}

/// A lane's results, per scenario; and how long each job that succeeded
/// took against codex.
type Results = (Vec<Vec<(Lane, Result<Tree>)>>, Vec<(String, Lane, f64)>);

/// Runs `jobs` on as many threads as `slots` allows, printing each
/// scenario's line as its last lane ends.
fn run_jobs(
    session: &Session,
    scenarios: &[&Scenario],
    jobs: Vec<Pending<Job>>,
    repeat: usize,
    slots: &Slots,
    failed: OnFailure,
) -> Results {
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
    let results = progress.into_inner().expect("progress").results;
    (results, took.into_inner().expect("durations"))
}

/// The run's outputs and records, scenario by scenario in catalogue order;
/// a failed lane fails its scenario, or is recorded as its fixture.
fn gather(
    session: &Session,
    scenarios: &[&Scenario],
    results: Vec<Vec<(Lane, Result<Tree>)>>,
    failed: OnFailure,
) -> Result<Generated> {
    let mut generated = Generated::default();
    let mut failures = Vec::new();
    for (s, mut lanes) in scenarios.iter().zip(results) {
        lanes.sort_by_key(|(lane, _)| *lane);
        let mut errors = Vec::new();
        let mut files = Tree::new();
        // A cell's failed lane has its record in place of its outputs.
        for (lane, result) in lanes {
            match (result, failed) {
                (Ok(tree), _) => files.extend(tree),
                (Err(e), OnFailure::Fail) => errors.push(e),
                (Err(e), OnFailure::Record) if protocol_check::is_violation(&e) => errors.push(e),
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
        if let Some(paths) = scope(s, session.lanes, session.replay.is_some()) {
            generated.partial.insert(s.name.clone(), paths);
        }
    }
    match failures.is_empty() {
        true => Ok(generated),
        false => Err(failure::several("scenarios failed", failures)),
    }
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

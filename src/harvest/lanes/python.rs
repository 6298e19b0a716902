//! The Python lane: `record()` of the scenario's module, driving the real
//! SDK, in a warm worker or a fresh interpreter.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;

use super::{Session, base_environment, environment, output_paths, record_kwargs};
use crate::base::failure::{Classify, Kind};
use crate::harvest::config::Scenario;
use crate::process::scenario::{self, Invocation};
use crate::process::scratch::Scratch;
use crate::process::warm::WarmWorker;

pub(super) fn run_process(runner: &mut Runner, s: &Scenario, scratch: &Scratch) -> Result<()> {
    let session = runner.session;
    let t = session.toolchain;
    let outputs = output_paths(scratch, &s.outputs)?;
    let wire_dir = scratch.path("wire");
    std::fs::create_dir_all(&wire_dir)?;
    let recorded: Option<Vec<PathBuf>> = session
        .replay
        .as_ref()
        .map(|tree| s.wire.iter().map(|w| tree.join(w.as_str())).collect());
    let shim = match &recorded {
        None => crate::codex::shim::shim(&scratch.path("bin"), &t.codex.path, &wire_dir)?,
        Some(transcripts) => {
            crate::codex::shim::replay_shim(&scratch.path("bin"), transcripts, &wire_dir)?
        }
    };
    let kwargs = record_kwargs(session, s, "codex_path", &shim, &outputs);
    let mut sys_path = vec![session.project.python_path()];
    sys_path.extend(t.sys_path.iter().cloned());
    let invocation = Invocation {
        supervisor: session.supervisor.clone(),
        python: t.python.clone(),
        sys_path,
        module: format!("harvest_scenarios.{}", s.name),
        output: outputs[0].clone(),
        kwargs,
        job: scratch.path("job.json"),
        cwd: scratch.path("work"),
        env: environment(t, scratch),
        timeout: s.timeout,
    };
    let ran = runner.run(s, &invocation, &scratch.path("output.log"));
    if let Some(transcripts) = &recorded {
        let played = crate::codex::runs::sequence_played(&wire_dir, transcripts)
            .context("the Python SDK against replay of the wire transcripts");
        // Replay's verdict names a divergence even where the SDK's own error
        // lost it (its stderr tail read before replay's words arrived).
        return match (ran, played) {
            (Err(failed), Err(account)) => Err(failed.context(format!("{account:#}"))),
            (ran, played) => ran.and(played),
        };
    }
    ran?;
    for output in outputs
        .iter()
        .filter(|o| o.extension().is_some_and(|e| e == "jsonl"))
    {
        sub_agent_completions_inside_waits(output)?;
    }
    let transcripts: Vec<PathBuf> = s
        .wire
        .iter()
        .map(|o| scratch.path("out").join(o.as_str()))
        .collect();
    crate::codex::wire::write_transcripts(&wire_dir, &transcripts, &session.config.wire.unordered)
        .context("the wire lane (app-server JSON-RPC)")
}

/// The events the SDK wrote to `output` with a sub-agent's completion
/// where the wire transcript has it (`codex::sub_agent_order`). Lines are
/// moved whole, never rewritten; a file that is not JSON lines is left as it
/// is for the normaliser to name its line.
fn sub_agent_completions_inside_waits(output: &Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(output) else {
        return Ok(());
    };
    let Ok(lines) = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).map(|v| (l, v)))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Ok(());
    };
    let ordered = crate::codex::sub_agent_order::completions_inside_waits(lines, |(_, v)| Some(v));
    if ordered.iter().map(|(l, _)| *l).eq(text.lines()) {
        return Ok(());
    }
    let mut out = String::with_capacity(text.len());
    for (line, _) in ordered {
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(output, out).with_context(|| format!("writing {}", output.display()))
}

/// Whether the lane `lane` of `s` runs in the warm worker (which its job
/// starts if there is none).
pub(crate) fn needs_worker(session: &Session, s: &Scenario, lane: super::Lane) -> bool {
    lane == super::Lane::Python && !session.cold && !s.cold
}

/// The warm worker the slots of one schedule share: started by the first
/// job that needs it (the others wait for it), replaced if it breaks.
#[derive(Default)]
pub(crate) struct Workers {
    current: Mutex<Option<Arc<WarmWorker>>>,
    ready: AtomicBool,
}

impl Workers {
    /// Whether a worker is up: a job that needs one starts at once.
    pub(crate) fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// The worker, started first if there is none, and how long that took.
    fn get(
        &self,
        session: &Session,
        inv: &Invocation,
    ) -> Result<(Arc<WarmWorker>, Option<Duration>)> {
        let mut current = self.current.lock().expect("workers");
        if let Some(worker) = current.as_ref() {
            return Ok((Arc::clone(worker), None));
        }
        let start = Instant::now();
        let worker = Arc::new(
            WarmWorker::start(
                &inv.supervisor,
                &inv.python,
                &inv.sys_path,
                &base_environment(session.toolchain),
            )
            .kind(Kind::Toolchain)?,
        );
        *current = Some(Arc::clone(&worker));
        self.ready.store(true, Ordering::Relaxed);
        Ok((worker, Some(start.elapsed())))
    }

    /// Drops `worker` if it is still the current one: the next job starts
    /// another.
    fn retire(&self, worker: &Arc<WarmWorker>) {
        let mut current = self.current.lock().expect("workers");
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, worker)) {
            *current = None;
            self.ready.store(false, Ordering::Relaxed);
        }
    }
}

/// Runs one slot's scenarios: in the schedule's warm worker, or cold when
/// the run or the scenario says so.
pub(crate) struct Runner<'a> {
    pub(super) session: &'a Session<'a>,
    workers: &'a Workers,
    /// How long the worker took to start, when this slot started it, until
    /// the schedule asks.
    worker_start: Option<Duration>,
}

impl<'a> Runner<'a> {
    pub(crate) fn new(session: &'a Session<'a>, workers: &'a Workers) -> Runner<'a> {
        Runner {
            session,
            workers,
            worker_start: None,
        }
    }

    /// How long a warm worker took to start since the last call, if this
    /// slot started one: the time is the worker's, not the job's that
    /// happened to start it.
    pub(crate) fn take_worker_start(&mut self) -> Option<Duration> {
        self.worker_start.take()
    }

    fn run(&mut self, s: &Scenario, inv: &Invocation, log: &std::path::Path) -> Result<()> {
        if self.session.cold || s.cold {
            return scenario::run(inv);
        }
        let (worker, started) = self.workers.get(self.session, inv)?;
        if started.is_some() {
            self.worker_start = started;
        }
        let result = worker.run(inv, log);
        if worker.broken() {
            self.workers.retire(&worker);
        }
        result
    }
}

//! The warm worker: one Python that imported the SDK once and forks a child
//! per scenario, so a scenario costs its own work and not the 0.8 s CPU of
//! importing the SDK again. The slots of a schedule share it: it serves
//! their scenarios at once, each job named by an id in its messages.
//!
//! Each job has a keeper, forked from the worker: a child subreaper
//! (Linux) that forks the scenario's child, waits for it, and then kills
//! whatever the scenario left (every process it adopted, until none is
//! left; elsewhere the scenario's process group) before it reports the
//! status. So a scenario's leftovers are its own keeper's, never another
//! running scenario's, and are gone before its job ends.
//!
//! The child is set up as a cold run would be: its own process group, the
//! scenario's cwd and complete environment (nothing of the worker's), its
//! output to a log of its own, stdin from /dev/null, the same `sys.path`
//! and the same modules loaded but what it imports itself (it is forked
//! before its keeper imports anything). The worker runs under the
//! supervisor (`reaper.rs`), which ends it and everything below it when the
//! run stops; the timeout kills the child's group. A scenario whose config
//! says `cold = true`, or every scenario with `--cold`, runs cold instead
//! (`scenario::run`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::base::interrupt::{self, Group};
use crate::base::private_dir::PrivateDir;
use crate::process::reaper;
use crate::process::scenario::{self, Invocation};

/// The worker: imports what every scenario imports, then forks a keeper per
/// request (a JSON line). Only `gc`, `importlib`, `json`, `os` and `sys` are
/// imported before a scenario's child is forked, which an interpreter or a
/// cold run's bootstrap has loaded anyway; its keeper imports the rest after.
const SERVER: &str = include_str!("warm_worker.py");

/// What every scenario imports (through `_record`): loaded once per worker.
const PRELOAD: [&str; 1] = ["openai_codex"];

/// How long the worker may take to start (importing the SDK).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a job's keeper may take to answer, and to clean up after a kill.
const CLEANUP_GRACE: Duration = Duration::from_secs(10);

pub struct WarmWorker {
    /// Set when the worker stopped answering as it should: start another.
    broken: AtomicBool,
    supervisor: Child,
    /// Lets a stop signal end the worker and its scenarios at once.
    _group: Group,
    stdin: Mutex<ChildStdin>,
    messages: Arc<Mutex<Messages>>,
    next_job: AtomicU64,
    /// The worker's own scratch dir (HOME, TMPDIR, its log).
    dir: PrivateDir,
}

/// Where the worker's messages go: each job's to the job, by its id.
#[derive(Default)]
struct Messages {
    jobs: HashMap<u64, Sender<Value>>,
    /// The worker's "ready", until it comes.
    start: Option<Sender<Value>>,
    /// The worker's output ended, or said what it must not: every job
    /// waiting, and every job from now on, hears nothing more.
    ended: bool,
    /// A line that was no message of the protocol.
    stray: Option<String>,
}

impl WarmWorker {
    /// Starts a worker for scenarios run by `python` with `sys_path`; `env`
    /// is the worker's own environment (a scenario brings its own).
    pub fn start(
        supervisor: &Path,
        python: &Path,
        sys_path: &[PathBuf],
        env: &[(String, String)],
    ) -> Result<WarmWorker> {
        interrupt::check()?;
        let dir = PrivateDir::new("worker").context("creating the warm worker's scratch dir")?;
        let paths: Vec<String> = sys_path.iter().map(|p| p.display().to_string()).collect();
        let log = std::fs::File::create(dir.path().join("worker.log"))
            .context("creating the warm worker's log")?;
        let mut command = Command::new(supervisor);
        command
            .args(reaper::args())
            .arg(python)
            .arg("-c")
            .arg(SERVER)
            .arg(serde_json::to_string(&paths)?)
            .arg(serde_json::to_string(&PRELOAD)?)
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("HOME", dir.path())
            .env("TMPDIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .process_group(0);
        let mut supervisor = spawn_from_a_lasting_thread(command)
            .with_context(|| format!("starting a warm worker with {}", python.display()))?;
        let group = interrupt::stop_with_run(supervisor.id());
        let stdin = supervisor.stdin.take().expect("piped");
        let stdout = supervisor.stdout.take().expect("piped");
        let (ready_tx, ready) = mpsc::channel();
        let messages = Arc::new(Mutex::new(Messages {
            start: Some(ready_tx),
            ..Messages::default()
        }));
        route(stdout, Arc::clone(&messages));
        let worker = WarmWorker {
            broken: AtomicBool::new(false),
            supervisor,
            _group: group,
            stdin: Mutex::new(stdin),
            messages,
            next_job: AtomicU64::new(0),
            dir,
        };
        worker
            .expect(&ready, START_TIMEOUT, "ready")
            .map_err(|e| e.context(worker.log_tail()))
            .context("the warm worker did not start (importing the SDK)")?;
        Ok(worker)
    }

    /// Whether the worker stopped answering as it should.
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// Runs one scenario in a forked child, alongside any others running;
    /// the same outcomes, messages and timeout as a cold run. A worker that
    /// stops answering is `broken`.
    pub fn run(&self, inv: &Invocation, log: &Path) -> Result<()> {
        let result = self.serve(inv, log);
        if result.as_ref().is_err_and(|e| e.is::<Unanswered>()) {
            self.broken.store(true, Ordering::Relaxed);
        }
        result
    }

    fn serve(&self, inv: &Invocation, log: &Path) -> Result<()> {
        interrupt::check()?;
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        let (tx, answers) = mpsc::channel();
        {
            let mut messages = self.messages.lock().expect("messages");
            // A worker that has ended hears nothing more: the sender is
            // dropped, and the first wait below says why.
            if !messages.ended {
                messages.jobs.insert(id, tx);
            }
        }
        let _route = Route(id, &self.messages);
        let job = json!({
            "id": id,
            "module": inv.module,
            "output": inv.output,
            "kwargs": Value::Object(inv.kwargs.clone()),
            "cwd": inv.cwd,
            "env": inv
                .env
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect::<serde_json::Map<String, Value>>(),
            "log": log,
        });
        {
            let mut stdin = self.stdin.lock().expect("stdin");
            writeln!(stdin, "{job}")
                .and_then(|_| stdin.flush())
                .map_err(|e| Unanswered(format!("sending a scenario to the warm worker: {e}")))?;
        }
        let said = self.expect(&answers, CLEANUP_GRACE, "pid")?;
        // Only a real child's pid: 0 or less would make the kill below
        // reach the driver's own group, or every process.
        let pid = said
            .as_i64()
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .filter(|&p| p > 0)
            .ok_or_else(|| Unanswered(format!("the warm worker gave the pid {said}")))?;
        let status = match self.expect(&answers, inv.timeout, "status") {
            Ok(code) => Some(code.as_i64().unwrap_or(1)),
            Err(_) => {
                crate::base::signal_to::group(pid, crate::base::signal_to::Signal::KILL);
                self.expect(&answers, CLEANUP_GRACE, "status")?;
                None
            }
        };
        let output = std::fs::read(log).unwrap_or_default();
        let text = scenario::tail(&String::from_utf8_lossy(&output));
        match status {
            Some(0) => Ok(()),
            Some(code) => bail!("record() failed (exit status: {code})\n{text}"),
            None => bail!(
                "timed out after {} s; its whole process tree was killed\n{text}",
                inv.timeout.as_secs()
            ),
        }
    }

    /// Waits for the next of `from`'s messages, which must carry `key`.
    fn expect(&self, from: &Receiver<Value>, timeout: Duration, key: &str) -> Result<Value> {
        let message = match from.recv_timeout(timeout) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                let said = "the warm worker did not answer in time";
                return Err(Unanswered(said.to_string()).into());
            }
            Err(RecvTimeoutError::Disconnected) => {
                let stray = self.messages.lock().expect("messages").stray.clone();
                return Err(Unanswered(match stray {
                    Some(line) => format!("the warm worker said {line:?}"),
                    None => format!("the warm worker exited\n{}", self.log_tail()),
                })
                .into());
            }
        };
        match message.get(key) {
            Some(v) => Ok(v.clone()),
            None => Err(Unanswered(format!("the warm worker said {message}, not {key:?}")).into()),
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read(self.dir.path().join("worker.log")).unwrap_or_default();
        scenario::tail(&String::from_utf8_lossy(&text))
    }
}

/// Spawns `command` from a thread that lives as long as the driver. The
/// supervisor's parent-death signal comes when the *thread* that spawned
/// it ends, not the process; the worker outlives the slot whose job
/// started it, so its supervisor must not be that slot's thread's child.
fn spawn_from_a_lasting_thread(command: Command) -> std::io::Result<Child> {
    type Request = (Command, Sender<std::io::Result<Child>>);
    static SPAWNER: std::sync::OnceLock<Sender<Request>> = std::sync::OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, requests) = mpsc::channel::<Request>();
        thread::spawn(move || {
            for (mut command, answer) in requests {
                let _ = answer.send(crate::base::fork_lock::spawn(&mut command));
            }
        });
        tx
    });
    let (answer, spawned) = mpsc::channel();
    spawner
        .send((command, answer))
        .map_err(|_| std::io::Error::other("the spawning thread has ended"))?;
    spawned
        .recv()
        .map_err(|_| std::io::Error::other("the spawning thread has ended"))?
}

/// A job's place among the worker's messages, given up when the job ends.
struct Route<'a>(u64, &'a Mutex<Messages>);

impl Drop for Route<'_> {
    fn drop(&mut self) {
        self.1.lock().expect("messages").jobs.remove(&self.0);
    }
}

/// Passes each line of the worker's output, as it comes, to the job it
/// names, on a thread of its own. When the output ends, or a line is no
/// message of the protocol, every job waiting hears that at once.
fn route(source: impl std::io::Read + Send + 'static, messages: Arc<Mutex<Messages>>) {
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            let mut m = messages.lock().expect("messages");
            let message = serde_json::from_str::<Value>(&line).ok();
            let delivered = match message {
                Some(message) => match message.get("job").map(Value::as_u64) {
                    // A job that stopped waiting (a stop signal) is gone.
                    Some(Some(id)) => {
                        if let Some(to) = m.jobs.get(&id) {
                            let _ = to.send(message);
                        }
                        true
                    }
                    Some(None) => false,
                    None => m.start.take().is_some_and(|to| to.send(message).is_ok()),
                },
                None => false,
            };
            if !delivered {
                m.stray = Some(line);
                break;
            }
        }
        let mut m = messages.lock().expect("messages");
        m.ended = true;
        m.jobs.clear();
        m.start = None;
    });
}

/// The worker did not answer as the protocol says.
#[derive(Debug)]
struct Unanswered(String);

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unanswered {}

impl Drop for WarmWorker {
    /// The supervisor kills the worker and anything left below it.
    fn drop(&mut self) {
        crate::base::signal_to::process(
            self.supervisor.id() as libc::pid_t,
            crate::base::signal_to::Signal::TERM,
        );
        let _ = self.supervisor.wait();
    }
}

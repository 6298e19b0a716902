//! A warm worker: one Python that imported the SDK once and forks a child
//! per scenario, so a scenario costs its own work and not the 0.8 s CPU of
//! importing the SDK again.
//!
//! The child is set up as a cold run would be: its own process group, the
//! scenario's cwd and complete environment (nothing of the worker's), its
//! output to a log of its own, stdin from /dev/null, the same `sys.path`
//! and the same modules loaded but what it imports itself. The worker runs
//! under the supervisor (`reaper.rs`); after each scenario the supervisor
//! kills whatever the scenario left behind (SIGUSR1), and the timeout kills
//! the child's group, so every isolation of a cold run holds. A scenario
//! whose config says `cold = true`, or every scenario with `--cold`, runs
//! cold instead (`scenario::run`).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::interrupt::{self, Group};
use crate::reaper;
use crate::scenario::{self, Invocation};
use crate::scratch::PrivateDir;

/// The worker: imports what every scenario imports, then serves one
/// request (a JSON line) at a time. Only `gc`, `json`, `importlib`, `os`
/// and `sys` are used here, which an interpreter or a cold run's bootstrap
/// has loaded anyway.
const SERVER: &str = r#"
import gc, importlib, json, os, sys
paths, preload = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:0] = paths
for name in preload:
    importlib.import_module(name)
# The preloaded objects move to the permanent generation: a child's
# collections then never walk them, and their pages stay shared instead of
# being copied on the first collection (the cost of a fork after a big import).
gc.freeze()
channel = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_RDWR), 1)
def say(message):
    channel.write(json.dumps(message) + "\n")
    channel.flush()
say({"ready": True})
for line in sys.stdin:
    job = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        channel.close()
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None
        code = 0
        try:
            importlib.import_module(job["module"]).record(job["output"], **job["kwargs"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        sys.exit(code)
    say({"pid": pid})
    _, status = os.waitpid(pid, 0)
    say({"status": os.waitstatus_to_exitcode(status)})
"#;

/// What every scenario imports (through `_record`): loaded once per worker.
const PRELOAD: [&str; 1] = ["openai_codex"];

/// How long the worker may take to start (importing the SDK).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a killed child's status and the clean-up may take.
const CLEANUP_GRACE: Duration = Duration::from_secs(10);

pub struct WarmWorker {
    /// Set when the worker stopped answering as it should: drop it.
    pub broken: bool,
    supervisor: Child,
    /// Lets a stop signal end the worker and its scenario at once.
    _group: Group,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// The supervisor's acknowledgements of a clean-up (its `--ack` FIFO).
    acks: Receiver<String>,
    /// The FIFO's write end, whose empty line ends the thread reading it.
    ack_end: std::fs::File,
    /// The worker's own scratch dir (HOME, TMPDIR, its log).
    dir: PrivateDir,
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
        let (ack, acks, ack_end) = ack_channel(dir.path())?;
        let mut supervisor = Command::new(supervisor)
            .args(reaper::args())
            .arg(reaper::ACK)
            .arg(&ack)
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
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting a warm worker with {}", python.display()))?;
        let group = interrupt::stop_with_run(supervisor.id());
        let stdin = supervisor.stdin.take().expect("piped");
        let stdout = supervisor.stdout.take().expect("piped");
        let lines = line_channel(stdout);
        let worker = WarmWorker {
            broken: false,
            supervisor,
            _group: group,
            stdin,
            lines,
            acks,
            ack_end,
            dir,
        };
        worker
            .expect_line(START_TIMEOUT, "ready")
            .map_err(|e| e.context(worker.log_tail()))
            .context("the warm worker did not start (importing the SDK)")?;
        Ok(worker)
    }

    /// Runs one scenario in a forked child; the same outcomes, messages and
    /// timeout as a cold run. A worker that stops answering is `broken`.
    pub fn run(&mut self, inv: &Invocation, log: &Path) -> Result<()> {
        let result = self.serve(inv, log);
        if result.as_ref().is_err_and(|e| e.is::<Unanswered>()) {
            self.broken = true;
        }
        result
    }

    fn serve(&mut self, inv: &Invocation, log: &Path) -> Result<()> {
        interrupt::check()?;
        let job = json!({
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
        writeln!(self.stdin, "{job}")
            .and_then(|_| self.stdin.flush())
            .context("sending a scenario to the warm worker")?;
        let said = self.expect_line(CLEANUP_GRACE, "pid")?;
        // Only a real child's pid: 0 or less would make the kill below
        // reach the driver's own group, or every process.
        let pid = said
            .as_i64()
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .filter(|&p| p > 0)
            .ok_or_else(|| Unanswered(format!("the warm worker gave the pid {said}")))?;
        let status = match self.expect_line(inv.timeout, "status") {
            Ok(code) => Some(code.as_i64().unwrap_or(1)),
            Err(_) => {
                crate::signal_to::group(pid, crate::signal_to::Signal::KILL);
                self.expect_line(CLEANUP_GRACE, "status")?;
                None
            }
        };
        self.clean_up()?;
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

    /// Has the supervisor kill what the last scenario left, and waits for it.
    fn clean_up(&mut self) -> Result<()> {
        crate::signal_to::process(
            self.supervisor.id() as libc::pid_t,
            crate::signal_to::Signal::USR1,
        );
        let deadline = Instant::now() + CLEANUP_GRACE;
        loop {
            let line = self.next_line(&self.acks, deadline)?;
            if line == reaper::REAPED {
                return Ok(());
            }
        }
    }

    fn next_line(&self, from: &Receiver<String>, deadline: Instant) -> Result<String> {
        match from.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                Err(Unanswered("the warm worker did not answer in time".to_string()).into())
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(Unanswered(format!("the warm worker exited\n{}", self.log_tail())).into())
            }
        }
    }

    /// Waits for the worker's next message, which must carry `key`.
    fn expect_line(&self, timeout: Duration, key: &str) -> Result<Value> {
        let line = self.next_line(&self.lines, Instant::now() + timeout)?;
        let message: Value = serde_json::from_str(&line)
            .with_context(|| format!("the warm worker said {line:?}"))?;
        match message.get(key) {
            Some(v) => Ok(v.clone()),
            None => bail!("the warm worker said {line:?}, not {key:?}"),
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read(self.dir.path().join("worker.log")).unwrap_or_default();
        scenario::tail(&String::from_utf8_lossy(&text))
    }
}

/// Each line `source` gives, as it comes, on a thread of its own; the
/// channel disconnects when `source` ends.
fn line_channel(source: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// The FIFO the supervisor acknowledges clean-ups in, under `dir`, held
/// open for reading and writing here (the supervisor's open never blocks):
/// its path, its lines, and the write end whose empty line (the supervisor
/// writes none) ends the thread reading it.
fn ack_channel(dir: &Path) -> Result<(PathBuf, Receiver<String>, std::fs::File)> {
    use rustix::fs::{CWD, Mode, mkfifoat};
    let path = dir.join("reaped");
    mkfifoat(CWD, &path, Mode::RUSR | Mode::WUSR)
        .with_context(|| format!("creating the FIFO {}", path.display()))?;
    let fifo = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening the FIFO {}", path.display()))?;
    let end = fifo.try_clone().context("opening the FIFO's write end")?;
    let (tx, acks) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(fifo).lines() {
            let Ok(line) = line.map(|l| (!l.is_empty()).then_some(l)) else {
                break;
            };
            if line.is_none_or(|l| tx.send(l).is_err()) {
                break;
            }
        }
    });
    Ok((path, acks, end))
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
        crate::signal_to::process(
            self.supervisor.id() as libc::pid_t,
            crate::signal_to::Signal::TERM,
        );
        let _ = self.supervisor.wait();
        let _ = self.ack_end.write_all(b"\n");
    }
}

//! Runs one scenario: `record(output_path, **kwargs)` of a Python module,
//! under the supervisor (`reaper.rs`) in its own process group, with only the
//! environment it is given, under a timeout that ends its whole process tree.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::process::reaper;

/// Reads the job (a JSON file: the arguments may be larger than one
/// command-line argument may be), imports the module and calls `record`; a
/// traceback goes to stderr, starting in the scenario (as the warm worker's
/// does: a failure record is the same either way). It loads the modules the
/// warm worker (`warm.rs`) loads, so a scenario sees the same `sys.modules`
/// either way.
const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// How much of a failed scenario's output to show.
const OUTPUT_TAIL_LINES: usize = 40;

/// How long a supervisor may take to kill its tree before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How long to wait for the output pipes once the tree is gone.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Everything needed to run one scenario process.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The `codex-harvest` binary, whose hidden `__reap` mode supervises.
    pub supervisor: PathBuf,
    pub python: PathBuf,
    /// Prepended to `sys.path` (the scenarios' parent dir, an SDK checkout).
    pub sys_path: Vec<PathBuf>,
    /// Dotted module name, e.g. `harvest_scenarios.thread_basic`.
    pub module: String,
    pub output: PathBuf,
    pub kwargs: Map<String, Value>,
    /// Where a cold run's job is written for its interpreter to read.
    pub job: PathBuf,
    pub cwd: PathBuf,
    /// The complete environment: nothing else is inherited.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

/// One program to run under the supervisor: what `Invocation` becomes, and
/// what the exec lane runs (`codex exec --json`).
#[derive(Debug, Clone)]
pub struct Program {
    /// What it is, for messages: `record()`, `codex exec`.
    pub what: String,
    pub supervisor: PathBuf,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// The complete environment: nothing else is inherited.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    /// Where its stdout goes (a fixture); `None`: into the output tail.
    pub stdout: Option<PathBuf>,
    /// The exit code that means it did what was asked (`codex exec` exits
    /// 1 when the turn it ran failed, which an error scenario expects).
    pub exit_code: i32,
}

impl Invocation {
    fn program(&self) -> Result<Program> {
        let job = serde_json::json!({
            "paths": self.sys_path,
            "module": self.module,
            "output": self.output,
            "kwargs": Value::Object(self.kwargs.clone()),
        });
        std::fs::write(&self.job, job.to_string())
            .with_context(|| format!("writing {}", self.job.display()))?;
        Ok(Program {
            what: "record()".into(),
            supervisor: self.supervisor.clone(),
            program: self.python.clone(),
            args: vec!["-c".into(), BOOTSTRAP.into(), self.job.clone().into()],
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            timeout: self.timeout,
            stdout: None,
            exit_code: 0,
        })
    }
}

/// Runs `inv` to completion; an error carries the process's output.
pub fn run(inv: &Invocation) -> Result<()> {
    run_program(&inv.program()?)
}

/// Runs `p` to completion under the supervisor; an error carries the end of
/// what it printed.
pub fn run_program(p: &Program) -> Result<()> {
    let stdout = match &p.stdout {
        Some(path) => Stdio::from(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Stdio::piped(),
    };
    crate::base::interrupt::check()?;
    let mut cmd = Command::new(&p.supervisor);
    cmd.args(reaper::args())
        .arg(&p.program)
        .args(&p.args)
        .current_dir(&p.cwd)
        .env_clear()
        .envs(p.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = crate::base::fork_lock::spawn(&mut cmd)
        .with_context(|| format!("starting {}", p.program.display()))?;
    let pid = child.id() as libc::pid_t;
    let group = crate::base::interrupt::stop_with_run(child.id());
    let output = Arc::new(Mutex::new(Vec::new()));
    let (done, drained) = mpsc::channel();
    drain(child.stdout.take(), &output, done.clone());
    drain(child.stderr.take(), &output, done);
    let status = wait(&mut child, p.timeout);
    if !matches!(status, Ok(Some(_))) {
        stop(&mut child);
    }
    drop(group);
    // Whatever is left in the group (the supervisor kills the rest).
    crate::base::signal_to::group(pid, crate::base::signal_to::Signal::KILL);
    let _ = child.wait();
    // Every descendant is gone, so the pipes are closed; never wait long.
    let deadline = Instant::now() + DRAIN_GRACE;
    for _ in 0..2 {
        let _ = drained.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    }
    let text = tail(&String::from_utf8_lossy(
        &output.lock().expect("output lock"),
    ));
    match status? {
        Some(s) if s.code() == Some(p.exit_code) => Ok(()),
        Some(s) if p.exit_code == 0 => bail!("{} failed ({s})\n{text}", p.what),
        Some(s) => bail!(
            "{} ended with {s}, not the exit code {} its recipe expects\n{text}",
            p.what,
            p.exit_code
        ),
        None => bail!(
            "timed out after {} s; its whole process tree was killed\n{text}",
            p.timeout.as_secs()
        ),
    }
}

fn wait(child: &mut Child, timeout: Duration) -> Result<Option<std::process::ExitStatus>> {
    Ok(crate::base::child_exit::wait(child, Some(timeout))?)
}

/// Asks the supervisor to kill its tree; kills it if it does not exit.
fn stop(child: &mut Child) {
    crate::base::signal_to::process(
        child.id() as libc::pid_t,
        crate::base::signal_to::Signal::TERM,
    );
    if !matches!(
        crate::base::child_exit::wait(child, Some(STOP_GRACE)),
        Ok(Some(_))
    ) {
        let _ = child.kill();
    }
}

/// Copies `source` into `sink` on a thread of its own; says when done.
fn drain<R: Read + Send + 'static>(
    source: Option<R>,
    sink: &Arc<Mutex<Vec<u8>>>,
    done: Sender<()>,
) {
    let sink = Arc::clone(sink);
    thread::spawn(move || {
        if let Some(mut source) = source {
            let mut buf = [0u8; 8192];
            while let Ok(n) = source.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("output lock")
                    .extend_from_slice(&buf[..n]);
            }
        }
        let _ = done.send(());
    });
}

/// The end of what a process printed, indented under a heading.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return "(it printed nothing)".to_string();
    }
    let start = lines.len().saturating_sub(OUTPUT_TAIL_LINES);
    // Indented: a line the child printed must never read as the tool's own
    // (a `hint: ` line, say).
    let mut out = format!("its output (last {} lines):", lines.len() - start);
    for line in &lines[start..] {
        out.push_str("\n    ");
        out.push_str(line);
    }
    out
}

//! Runs one scenario: `record(output_path, **kwargs)` of a Python module, in
//! its own process group with only the environment it is given, under a
//! timeout that kills the whole group.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// Imports the module and calls `record`; a traceback goes to stderr.
const BOOTSTRAP: &str = r#"
import importlib, json, sys
paths, module, output, kwargs = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path[:0] = paths
importlib.import_module(module).record(output, **kwargs)
"#;

/// Process groups of the scenarios running now, so an interrupt can end them.
static RUNNING: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

/// How much of a failed scenario's output to show.
const OUTPUT_TAIL_LINES: usize = 40;

/// Everything needed to run one scenario process.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub python: PathBuf,
    /// Prepended to `sys.path` (the scenarios' parent dir, an SDK checkout).
    pub sys_path: Vec<PathBuf>,
    /// Dotted module name, e.g. `harvest_scenarios.thread_basic`.
    pub module: String,
    pub output: PathBuf,
    pub kwargs: Map<String, Value>,
    pub cwd: PathBuf,
    /// The complete environment: nothing else is inherited.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

/// Runs `inv` to completion; an error carries the process's output.
pub fn run(inv: &Invocation) -> Result<()> {
    let paths: Vec<String> = inv
        .sys_path
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut cmd = Command::new(&inv.python);
    cmd.arg("-c")
        .arg(BOOTSTRAP)
        .arg(serde_json::to_string(&paths)?)
        .arg(&inv.module)
        .arg(&inv.output)
        .arg(Value::Object(inv.kwargs.clone()).to_string())
        .current_dir(&inv.cwd)
        .env_clear()
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", inv.python.display()))?;
    running().push(child.id() as libc::pid_t);
    let output = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        drain(child.stdout.take(), &output),
        drain(child.stderr.take(), &output),
    ];
    let status = wait(&mut child, inv.timeout);
    // codex app-server and tool processes live in the same group; none may outlive the run.
    kill_group(&child);
    let _ = child.wait();
    for r in readers {
        let _ = r.join();
    }
    let text = tail(&String::from_utf8_lossy(
        &output.lock().expect("output lock"),
    ));
    match status? {
        Some(s) if s.success() => Ok(()),
        Some(s) => bail!("record() failed ({s})\n{text}"),
        None => bail!(
            "timed out after {} s; its process group was killed\n{text}",
            inv.timeout.as_secs()
        ),
    }
}

fn wait(child: &mut Child, timeout: Duration) -> Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn running() -> std::sync::MutexGuard<'static, Vec<libc::pid_t>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

fn kill_group(child: &Child) {
    let pgid = child.id() as libc::pid_t;
    running().retain(|&p| p != pgid);
    // SAFETY: killpg only sends a signal; the group is the one created for this child.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Kills every running scenario's process group (on Ctrl-C: the groups do
/// not get the terminal's SIGINT, so without this codex would outlive us).
pub fn kill_running() {
    for pgid in running().drain(..) {
        // SAFETY: as in kill_group.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

fn drain<R: Read + Send + 'static>(
    source: Option<R>,
    sink: &Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<()> {
    let sink = Arc::clone(sink);
    thread::spawn(move || {
        let Some(mut source) = source else { return };
        let mut buf = [0u8; 8192];
        while let Ok(n) = source.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .expect("output lock")
                .extend_from_slice(&buf[..n]);
        }
    })
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return "(it printed nothing)".to_string();
    }
    let start = lines.len().saturating_sub(OUTPUT_TAIL_LINES);
    let mut out = format!("--- its output (last {} lines) ---\n", lines.len() - start);
    out.push_str(&lines[start..].join("\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(dir: &std::path::Path, body: &str, timeout: Duration) -> Invocation {
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("__init__.py"), "").unwrap();
        std::fs::write(pkg.join("mod.py"), body).unwrap();
        Invocation {
            python: real_python(),
            sys_path: vec![dir.to_path_buf()],
            module: "pkg.mod".into(),
            output: dir.join("out.jsonl"),
            kwargs: serde_json::from_str(r#"{"word": "hi"}"#).unwrap(),
            cwd: dir.to_path_buf(),
            env: vec![("MARK".into(), "set".into())],
            timeout,
        }
    }

    /// The interpreter itself, not a shim script (pyenv's sets variables).
    fn real_python() -> std::path::PathBuf {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().into()
    }

    // These unit tests use the system python3 as a stand-in interpreter; the
    // integration tests run real scenarios with the real SDK.
    #[test]
    fn passes_kwargs_and_only_the_given_environment() {
        let dir = tempfile::tempdir().unwrap();
        let inv = invocation(
            dir.path(),
            "import os\ndef record(out, word):\n    open(out, 'w').write(word + ' ' + os.environ['MARK'] + ' ' + str(len(os.environ)))\n",
            Duration::from_secs(20),
        );
        run(&inv).unwrap();
        let written = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
        // Python may add LC_CTYPE itself; nothing from the caller leaks in.
        assert!(written.starts_with("hi set "), "{written}");
        assert!(
            written.ends_with(" 1") || written.ends_with(" 2"),
            "{written}"
        );
    }

    #[test]
    fn a_raising_scenario_shows_its_traceback() {
        let dir = tempfile::tempdir().unwrap();
        let inv = invocation(
            dir.path(),
            "def record(out, word):\n    raise RuntimeError('scenario broke')\n",
            Duration::from_secs(20),
        );
        let err = run(&inv).unwrap_err().to_string();
        assert!(err.contains("record() failed"), "{err}");
        assert!(err.contains("RuntimeError: scenario broke"), "{err}");
    }

    #[test]
    fn a_hanging_scenario_and_its_children_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-survived");
        let inv = invocation(
            dir.path(),
            &format!(
                "import subprocess, time\ndef record(out, word):\n    subprocess.Popen(['sh', '-c', 'sleep 2; touch {}'])\n    time.sleep(60)\n",
                marker.display()
            ),
            Duration::from_secs(1),
        );
        let err = run(&inv).unwrap_err().to_string();
        assert!(err.contains("timed out after 1 s"), "{err}");
        thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "a child of the scenario outlived the timeout"
        );
    }
}

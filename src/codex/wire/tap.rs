//! `codex-harvest __tap LOG CODEX ARGS…`: a transparent relay between a
//! client and codex over stdio, for the wire lane. It starts the real codex
//! with the client's arguments, passes every line both ways unchanged
//! (codex's stderr goes straight through, unrecorded) and appends each line
//! with its direction to a log of its own in LOG_DIR. A stop signal is
//! passed on to codex, and the tap keeps relaying (and logging) what codex
//! wrote until codex's stdout closes; it exits as codex exits.
//!
//! A line it cannot log would make the transcript lie by omission: the tap
//! then leaves `<n>.failed` beside the log saying why, kills codex and
//! exits 70, so the client fails and the lane refuses the transcript.
//!
//! The log keeps arrival order; [`super::canonical`] turns it into an order
//! timing cannot change.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// The hidden first argument that runs the tap instead of the CLI.
pub const ARG: &str = "__tap";

/// The codex this tap relays for, killed when the log cannot be written.
static CODEX: AtomicI32 = AtomicI32::new(0);

/// The exit code of a tap that could not log (EX_SOFTWARE).
const LOG_FAILED: i32 = 70;

/// Set before codex is killed for a log that failed: the relay that sees
/// codex end then exits with [`LOG_FAILED`] too, not with codex's status.
static LOG_FAILURE: AtomicBool = AtomicBool::new(false);

pub fn main(args: &[OsString]) -> ! {
    let [log_dir, codex, rest @ ..] = args else {
        crate::errln!("codex-harvest {ARG}: usage: {ARG} LOG_DIR CODEX ARGS…");
        std::process::exit(2);
    };
    let log = match open_log(Path::new(log_dir)) {
        Ok(f) => Arc::new(Mutex::new(f)),
        Err(e) => {
            crate::errln!("codex-harvest {ARG}: opening a transcript in {log_dir:?}: {e}");
            std::process::exit(2);
        }
    };
    let signals = crate::base::interrupt::block(&crate::base::interrupt::SIGNALS);
    let mut command = Command::new(codex);
    let spawned = crate::base::interrupt::unblocked(command.args(rest))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            crate::errln!("codex-harvest {ARG}: starting {codex:?}: {e}");
            std::process::exit(127);
        }
    };
    let pid = child.id() as libc::pid_t;
    CODEX.store(pid, Ordering::SeqCst);
    crate::base::interrupt::forward_to(signals, pid);
    let to_codex = child.stdin.take().expect("piped");
    let from_codex = child.stdout.take().expect("piped");
    let client_log = Arc::clone(&log);
    // When the client closes its end, so does codex's stdin, as without us.
    std::thread::spawn(move || relay(std::io::stdin().lock(), to_codex, &client_log, "c2s"));
    relay(
        BufReader::new(from_codex),
        std::io::stdout().lock(),
        &log,
        "s2c",
    );
    let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(1);
    if LOG_FAILURE.load(Ordering::SeqCst) {
        std::process::exit(LOG_FAILED);
    }
    std::process::exit(code);
}

/// Copies `from` to `to` a line at a time, logging each line as `dir`,
/// until either end closes.
fn relay(from: impl BufRead, mut to: impl Write, log: &Mutex<Log>, dir: &str) {
    for line in from.split(b'\n') {
        let Ok(line) = line else { break };
        note(log, dir, &line);
        if to
            .write_all(&line)
            .and_then(|_| to.write_all(b"\n"))
            .and_then(|_| to.flush())
            .is_err()
        {
            break;
        }
    }
}

/// This process's log in `dir`, numbered in start order.
fn open_log(dir: &Path) -> std::io::Result<Log> {
    let (_, path, file) = crate::codex::runs::claim_next(dir, "log")?;
    Ok(Log { file, path })
}

/// One codex process's log, and where it is.
struct Log {
    file: File,
    path: PathBuf,
}

/// Where the tap says why a log is incomplete.
pub(crate) fn failure_note(log: &Path) -> PathBuf {
    log.with_extension("failed")
}

/// One logged line. A line that is not JSON is kept as a string, so the
/// lane can refuse it by name instead of losing it.
fn note(log: &Mutex<Log>, dir: &str, line: &[u8]) {
    let msg = serde_json::from_slice::<Value>(line)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(line).into_owned()));
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(e) = writeln!(log.file, "{}", json!({"dir": dir, "msg": msg})) {
        let why = format!(
            "codex-harvest {ARG}: could not write the transcript log {}: {e}",
            log.path.display()
        );
        let _ = std::fs::write(failure_note(&log.path), &why);
        crate::errln!("{why}");
        LOG_FAILURE.store(true, Ordering::SeqCst);
        let codex = CODEX.load(Ordering::SeqCst);
        if codex > 0 {
            crate::base::signal_to::process(codex, crate::base::signal_to::Signal::KILL);
        }
        std::process::exit(LOG_FAILED);
    }
}

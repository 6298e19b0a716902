//! SIGINT, SIGTERM and SIGHUP stop a run the same way: every process group
//! the run started (scenario supervisors, warm workers, pip, npm) is told to
//! stop at once, no new one starts, the main thread notices at its next step
//! and cleans up its staging and scratch dirs by ordinary unwinding, and the
//! process exits 128 + the signal's number with a message that says what
//! was, and was not, written.
//!
//! The signals are blocked in every thread and taken by one thread with
//! `sigwait`, so no code runs in signal-handler context and a blocking call
//! elsewhere is never cut short with EINTR. If the main thread has not
//! finished after [`GRACE`] (it may be blocked waiting for another run's
//! lock), the process kills what it started, removes the dirs it registered
//! and exits anyway; a second signal does the same at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::base::signal_to::Signal;

/// The signal that stopped the run; 0 while none has.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// Process groups a stop must end, each led by a process this run started,
/// with the signal a stop sends it.
static GROUPS: Mutex<Vec<(libc::pid_t, Signal)>> = Mutex::new(Vec::new());

/// Dirs a forced exit removes (ordinary unwinding removes them otherwise).
static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by a command with nothing to stop or clean (replay): a signal ends
/// it at once.
static AT_ONCE: AtomicBool = AtomicBool::new(false);

/// Set by the one forced exit under way.
static EXITING: AtomicBool = AtomicBool::new(false);

/// What the run had already written for good when it was stopped, in order.
static WRITTEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Files a forced exit writes before it ends the process, each with what
/// the run says it should hold if a signal ends it now (replay's verdict so
/// far).
static LAST_WORDS: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

/// How long the main thread has to clean up after a signal before the
/// process cleans what it knows and exits anyway.
const GRACE: Duration = Duration::from_secs(5);

/// The stop signals: each ends a run, a supervisor or a tap the same way.
pub const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The run was stopped by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted(pub i32);

impl Interrupted {
    pub fn name(self) -> &'static str {
        match self.0 {
            libc::SIGINT => "SIGINT",
            libc::SIGTERM => "SIGTERM",
            libc::SIGHUP => "SIGHUP",
            _ => "a signal",
        }
    }

    /// 130, 143, 129: the shell's convention.
    pub fn exit_code(self) -> u8 {
        (128 + self.0) as u8
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        match lock(&WRITTEN).as_slice() {
            [] => write!(
                f,
                "interrupted by {name}: every process it started was stopped and nothing was written"
            ),
            written => write!(
                f,
                "interrupted by {name} after {}; every process it started was stopped",
                written.join(", then ")
            ),
        }
    }
}

impl std::error::Error for Interrupted {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Blocks `signals` in the calling thread (and so in every thread it
/// starts after) and returns them as a set, for one thread to take with
/// `sigwait`. A child inherits the mask (measured: std does not reset it),
/// so a child that must be stoppable by these signals is started with
/// [`unblocked`].
pub fn block(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset takes valid
    // signals; changing this thread's mask is always allowed.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// `cmd` with the stop signals unblocked in the child, as a program
/// expects to start: pip, npm, a scenario's program, codex. (A supervisor
/// keeps the blocked mask: it takes the signals itself, and none is lost
/// before it asks for them.)
pub fn unblocked(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls are made:
    // sigemptyset and pthread_sigmask (sigprocmask) on a local set.
    unsafe {
        cmd.pre_exec(|| {
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            Ok(())
        })
    }
}

/// Passes each of `signals` (blocked before `child` was started, so none
/// is lost or kills the relay meanwhile) on to `child` from a thread of its
/// own: a relay (the taps) lives as long as the program it started, and
/// ends as it ends.
pub fn forward_to(signals: libc::sigset_t, child: libc::pid_t) {
    std::thread::spawn(move || {
        loop {
            let mut sig = 0;
            // SAFETY: a valid, initialised set; the signals are blocked in
            // every thread, so this thread alone takes them.
            if unsafe { libc::sigwait(&signals, &mut sig) } == 0
                && let Some(sig) = Signal::from_named_raw(sig)
            {
                crate::base::signal_to::process(child, sig);
            }
        }
    });
}

/// Blocks the signals and starts the thread that takes them. Call before
/// any other thread starts, so every thread inherits the mask.
pub fn install() {
    let set = block(&SIGNALS);
    std::thread::spawn(move || {
        loop {
            let mut sig: libc::c_int = 0;
            // SAFETY: set and sig are valid for the call.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                continue;
            }
            if RECEIVED
                .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
                || AT_ONCE.load(Ordering::SeqCst)
            {
                forced_exit(Interrupted(RECEIVED.load(Ordering::SeqCst)));
            }
            stop_groups();
            std::thread::spawn(move || {
                std::thread::sleep(GRACE);
                forced_exit(Interrupted(sig));
            });
        }
    });
}

/// The last resort: kill what the run started, remove the dirs it
/// registered, say why, exit.
fn forced_exit(i: Interrupted) -> ! {
    // The signal thread and `exit_at_once` may both come here; one exits.
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    for &(group, _) in lock(&GROUPS).iter() {
        crate::base::signal_to::group(group, Signal::KILL);
    }
    for path in lock(&PATHS).iter() {
        let _ = std::fs::remove_dir_all(path);
    }
    // Held to the exit: a `settle_word` under way finishes first (its temp
    // file renamed), and none starts after.
    let words = lock(&LAST_WORDS);
    for (path, text) in words.iter() {
        let _ = crate::base::fs::write_atomic(path, text.as_bytes());
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{i}");
    std::process::exit(i32::from(i.exit_code()));
}

/// Sends each group its stop signal.
fn stop_groups() {
    for &(group, stop) in lock(&GROUPS).iter() {
        crate::base::signal_to::group(group, stop);
    }
}

/// Says that this run has nothing to stop or clean up: a stop signal ends
/// the process at once, with its message and exit code.
pub fn exit_at_once() {
    AT_ONCE.store(true, Ordering::SeqCst);
    // A signal taken before this (while the command line was read) would
    // otherwise wait out the grace.
    if let Some(i) = received() {
        forced_exit(i);
    }
}

/// The signal received so far, if any.
pub fn received() -> Option<Interrupted> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(Interrupted(s)),
    }
}

/// Fails with [`Interrupted`] once a signal has arrived: the check before
/// every step that starts something or cannot be undone.
pub fn check() -> anyhow::Result<()> {
    match received() {
        Some(i) => Err(i.into()),
        None => Ok(()),
    }
}

/// Tries `attempt` until it gives a value, checking for a stop between
/// tries: a run waiting on another's lock stops as soon as any other does,
/// not when the grace after a signal runs out.
pub fn until<T>(mut attempt: impl FnMut() -> anyhow::Result<Option<T>>) -> anyhow::Result<T> {
    loop {
        if let Some(value) = attempt()? {
            return Ok(value);
        }
        check()?;
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Adds to what the run has written for good, so that a later signal's
/// message says all of it, not that nothing was.
pub fn note_written(what: String) {
    lock(&WRITTEN).push(what);
}

/// A process group a stop signal ends (SIGTERM, or SIGKILL for a tool that
/// has nothing to clean up, then SIGKILL at a forced exit) while this
/// guard lives.
#[derive(Debug)]
pub struct Group(libc::pid_t);

/// Registers the group led by `leader`, which the caller has just started
/// with its own process group, for SIGTERM at a stop: a supervisor or a
/// worker, which cleans up what it made before it exits. A signal that
/// arrived before (while it was being started) is passed on at once: no
/// process slips through.
pub fn stop_with_run(leader: u32) -> Group {
    register(leader, Signal::TERM)
}

/// Registers the group led by `leader` for SIGKILL at a stop: a tool (pip,
/// npm, tar) that writes only into a TMPDIR this run removes and a cache
/// entry not yet finished, which the next run builds afresh. A tool may
/// wait out a SIGTERM (npm does, blocked on a registry that does not
/// answer), and the stop must not wait with it.
pub fn kill_with_run(leader: u32) -> Group {
    register(leader, Signal::KILL)
}

fn register(leader: u32, stop: Signal) -> Group {
    let group = leader as libc::pid_t;
    assert!(group > 0, "a process group leader's pid is positive");
    let mut groups = lock(&GROUPS);
    groups.push((group, stop));
    // The signal thread sets RECEIVED before it takes this lock: either it
    // sees this group, or this sees the signal.
    if received().is_some() {
        crate::base::signal_to::group(group, stop);
    }
    Group(group)
}

impl Drop for Group {
    fn drop(&mut self) {
        lock(&GROUPS).retain(|&(g, _)| g != self.0);
    }
}

/// What `path` is to hold if a stop signal ends the process from now on;
/// the last call for a path wins.
pub fn last_word(path: &Path, text: String) {
    let mut words = lock(&LAST_WORDS);
    words.retain(|(p, _)| p != path);
    words.push((path.to_path_buf(), text));
}

/// Writes `text` to `path` for good, as its last word: a stop signal from
/// now on leaves it as written. The write and a forced exit's take one
/// lock, so a signal never ends the process while the write's temp file
/// is still beside `path`.
pub fn settle_word(path: &Path, text: String) -> anyhow::Result<()> {
    let mut words = lock(&LAST_WORDS);
    words.retain(|(p, _)| p != path);
    crate::base::fs::write_atomic(path, text.as_bytes())
}

/// A dir a forced exit removes while this guard lives.
#[derive(Debug)]
pub struct Removal(PathBuf);

pub fn remove_on_forced_exit(path: &Path) -> Removal {
    lock(&PATHS).push(path.to_path_buf());
    Removal(path.to_path_buf())
}

impl Drop for Removal {
    fn drop(&mut self) {
        lock(&PATHS).retain(|p| p != &self.0);
    }
}

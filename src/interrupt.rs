//! SIGINT, SIGTERM and SIGHUP stop a run the same way: the running
//! scenarios are killed (every descendant, see `reaper.rs`), the main thread
//! notices at its next step, cleans up its staging and scratch dirs by
//! ordinary unwinding, and the process exits 128 + the signal's number.
//!
//! The signals are blocked in every thread and taken by one thread with
//! `sigwait`, so no code runs in signal-handler context and a blocking call
//! elsewhere is never cut short with EINTR.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// The signal that stopped the run; 0 while none has.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// How long the main thread has to clean up after a signal before the
/// process exits anyway (a second signal exits at once).
const GRACE: Duration = Duration::from_secs(10);

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
        write!(
            f,
            "interrupted by {}: the running scenarios were killed and nothing was written",
            self.name()
        )
    }
}

impl std::error::Error for Interrupted {}

/// Blocks `signals` in the calling thread (and so in every thread it
/// starts after) and returns them as a set, for one thread to take with
/// `sigwait`. Children get an empty mask (std resets it before exec).
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

/// Blocks the signals and starts the thread that takes them; `on_signal`
/// runs on that thread (it kills the running scenarios). Call before any
/// other thread starts, so every thread inherits the mask. Children get an
/// empty mask (std resets it before exec).
pub fn install(on_signal: fn()) {
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
            {
                std::process::exit(i32::from(Interrupted(sig).exit_code()));
            }
            on_signal();
            std::thread::spawn(move || {
                std::thread::sleep(GRACE);
                eprintln!("{}", Interrupted(sig));
                std::process::exit(i32::from(Interrupted(sig).exit_code()));
            });
        }
    });
}

/// The signal received so far, if any.
pub fn received() -> Option<Interrupted> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(Interrupted(s)),
    }
}

/// Fails with [`Interrupted`] once a signal has arrived: the last check
/// before a step that cannot be undone.
pub fn check() -> anyhow::Result<()> {
    match received() {
        Some(i) => Err(i.into()),
        None => Ok(()),
    }
}

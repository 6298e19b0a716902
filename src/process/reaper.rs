//! `codex-harvest __reap DRIVER_PID PROGRAM ARGS…`: the supervisor every scenario runs
//! under, so that no descendant outlives it.
//!
//! A process group is not enough: a scenario's child can start its own
//! session (`start_new_session=True`) and escape `killpg`, then hold the
//! output pipes open. On Linux the supervisor makes itself a *child
//! subreaper*, so every orphan below it is re-parented to it rather than to
//! init; when the program exits, or the supervisor is told to stop (SIGTERM,
//! SIGINT, SIGHUP, or its parent dying), it kills its children until it has
//! none left. Elsewhere it kills the program's process group.
//!
//! It exits with the program's exit code (128 + N when killed by signal N).
//!
//! The warm worker (`warm.rs`) runs under it too, as one long-lived
//! program: what each of its scenarios leaves is its keeper's to kill, and
//! what is left when the worker ends, this supervisor's.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::base::signal_to::{self, Signal};

/// The hidden first argument that runs the supervisor instead of the CLI.
pub const ARG: &str = "__reap";

/// The arguments that start a supervisor of this process's, before the
/// program to supervise: it must know its parent to notice its death.
pub fn args() -> [OsString; 2] {
    [ARG.into(), std::process::id().to_string().into()]
}

pub fn main(args: &[OsString]) -> ! {
    let parent = args
        .first()
        .and_then(|a| a.to_str()?.parse::<libc::pid_t>().ok());
    let program_args = args.get(1..).unwrap_or_default();
    let (Some(parent), Some((program, rest))) = (parent, program_args.split_first()) else {
        crate::errln!("codex-harvest {ARG}: usage: {ARG} DRIVER_PID PROGRAM ARGS…");
        std::process::exit(2);
    };
    become_subreaper(parent);
    // The stop signals and SIGCHLD (a child ended: reap it now) are taken by
    // `sigtimedwait` below.
    let [int, term, hup] = crate::base::interrupt::SIGNALS;
    let signals = crate::base::interrupt::block(&[int, term, hup, libc::SIGCHLD]);
    // Its own process group, as a scenario forked by the warm worker has:
    // a scenario cannot tell how it was started.
    let mut command = Command::new(program);
    let child = match crate::base::interrupt::unblocked(command.args(rest))
        .process_group(0)
        .spawn()
    {
        Ok(c) => c.id() as libc::pid_t,
        Err(e) => {
            crate::errln!("codex-harvest {ARG}: starting {program:?}: {e}");
            std::process::exit(127);
        }
    };
    let code = supervise(child, &signals);
    kill_descendants(child);
    std::process::exit(code);
}

/// Adopts orphans, and asks to be told when `parent` (the driver) dies. A
/// parent that died before the request was made is noticed by the parent
/// pid having changed (the driver may itself be PID 1, in a container, so
/// "re-parented to 1" is not the test).
#[cfg(target_os = "linux")]
fn become_subreaper(parent: libc::pid_t) {
    use rustix::process::{getpid, getppid, set_child_subreaper, set_parent_process_death_signal};
    let _ = set_child_subreaper(Some(getpid()));
    // The driver dying (even by SIGKILL) is a stop request too.
    let _ = set_parent_process_death_signal(Some(Signal::TERM));
    if getppid().map(|p| p.as_raw_nonzero().get()) != Some(parent) {
        std::process::exit(128 + libc::SIGTERM);
    }
}

#[cfg(not(target_os = "linux"))]
fn become_subreaper(_parent: libc::pid_t) {}

/// What a non-blocking wait for any child found.
enum Reaped {
    /// A child ended (its pid and exit code) and was reaped.
    Child(libc::pid_t, i32),
    /// Children are left, none has ended.
    Running,
    /// No child is left.
    None,
}

fn reap_one() -> Reaped {
    use rustix::process::{WaitOptions, wait};
    match wait(WaitOptions::NOHANG) {
        Ok(Some((pid, status))) => {
            let code = status
                .exit_status()
                .unwrap_or_else(|| 128 + status.terminating_signal().unwrap_or(0));
            Reaped::Child(pid.as_raw_nonzero().get(), code)
        }
        Ok(None) => Reaped::Running,
        Err(e) if e == rustix::io::Errno::INTR => Reaped::Running,
        Err(_) => Reaped::None,
    }
}

/// Waits for the program to exit, reaping orphans as they die; returns the
/// exit code to pass on.
fn supervise(child: libc::pid_t, signals: &libc::sigset_t) -> i32 {
    loop {
        match wait_signal(signals) {
            Some(libc::SIGCHLD) | None => {}
            Some(sig) => return 128 + sig,
        }
        while let Reaped::Child(pid, code) = reap_one() {
            if pid == child {
                return code;
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn wait_signal(signals: &libc::sigset_t) -> Option<i32> {
    // SIGCHLD wakes it when a child ends; the timeout is only a backstop.
    let timeout = libc::timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    // SAFETY: valid set and timeout; no siginfo wanted.
    let sig = unsafe { libc::sigtimedwait(signals, std::ptr::null_mut(), &timeout) };
    (sig > 0).then_some(sig)
}

#[cfg(not(target_os = "linux"))]
fn wait_signal(signals: &libc::sigset_t) -> Option<i32> {
    // SAFETY: an all-zero sigset_t is a valid set; sigpending fills it.
    let mut pending: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid sets; sigwait returns at once for a pending signal.
    unsafe {
        libc::sigpending(&mut pending);
        for s in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            if libc::sigismember(&pending, s) == 1 {
                let mut sig = 0;
                libc::sigwait(signals, &mut sig);
                return Some(sig);
            }
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    None
}

/// Kills the program's process group, then every child this process has,
/// orphans included, until there are none.
fn kill_descendants(child: libc::pid_t) {
    signal_to::group(child, Signal::KILL);
    loop {
        for pid in children() {
            signal_to::process(pid, Signal::KILL);
        }
        loop {
            match reap_one() {
                Reaped::Child(..) => {}
                Reaped::Running => break,
                Reaped::None => return,
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// This process's children, from `/proc/*/stat` (field 4 is the parent).
#[cfg(target_os = "linux")]
fn children() -> Vec<libc::pid_t> {
    let me = std::process::id() as libc::pid_t;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // The command name is in parentheses and may hold spaces.
                    let after = &stat[stat.rfind(')')? + 1..];
                    after.split_whitespace().nth(1)?.parse::<libc::pid_t>().ok()
                })
                == Some(me)
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn children() -> Vec<libc::pid_t> {
    Vec::new()
}

//! `codex-harvest __reap PROGRAM ARGS…`: the supervisor every scenario runs
//! under, so that no descendant outlives it.
//!
//! A process group is not enough: a scenario's child can start its own
//! session (`start_new_session=True`) and escape `killpg`, then hold the
//! output pipes open. On Linux the supervisor makes itself a *child
//! subreaper*, so every orphan below it is re-parented to it rather than to
//! init; when the program exits, or the supervisor is told to stop (SIGTERM,
//! SIGINT, SIGHUP, or its parent dying), it kills its children until it has
//! none left. Elsewhere it signals its process group, which the driver
//! kills once it has exited.
//!
//! It exits with the program's exit code (128 + N when killed by signal N).

use std::ffi::OsString;
use std::process::Command;

/// The hidden first argument that runs the supervisor instead of the CLI.
pub const ARG: &str = "__reap";

pub fn main(args: &[OsString]) -> ! {
    let Some((program, rest)) = args.split_first() else {
        eprintln!("codex-harvest {ARG}: no program given");
        std::process::exit(2);
    };
    become_subreaper();
    let signals = block_signals();
    let child = match Command::new(program).args(rest).spawn() {
        Ok(c) => c.id() as libc::pid_t,
        Err(e) => {
            eprintln!("codex-harvest {ARG}: starting {program:?}: {e}");
            std::process::exit(127);
        }
    };
    let code = supervise(child, &signals);
    kill_descendants();
    std::process::exit(code);
}

#[cfg(target_os = "linux")]
fn become_subreaper() {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        // The driver dying (even by SIGKILL) is a stop request too.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
        if libc::getppid() == 1 {
            std::process::exit(128 + libc::SIGTERM);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn become_subreaper() {}

/// Blocks the stop signals so they are taken by `sigtimedwait` below; the
/// program gets an empty mask (std resets it before exec).
fn block_signals() -> libc::sigset_t {
    // SAFETY: the set is initialised before use; this process has one thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Waits for the program to exit, reaping orphans as they die; returns the
/// exit code to pass on.
fn supervise(child: libc::pid_t, signals: &libc::sigset_t) -> i32 {
    loop {
        if let Some(sig) = wait_signal(signals) {
            return 128 + sig;
        }
        loop {
            let mut status = 0;
            // SAFETY: waitpid with a valid status pointer.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            if pid == child {
                return if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    128 + libc::WTERMSIG(status)
                };
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn wait_signal(signals: &libc::sigset_t) -> Option<i32> {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    // SAFETY: valid set and timeout; no siginfo wanted.
    let sig = unsafe { libc::sigtimedwait(signals, std::ptr::null_mut(), &timeout) };
    (sig > 0).then_some(sig)
}

#[cfg(not(target_os = "linux"))]
fn wait_signal(signals: &libc::sigset_t) -> Option<i32> {
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

/// Signals the rest of this process group (the driver started it for this
/// scenario), then kills every child this process has, orphans included,
/// until there are none.
fn kill_descendants() {
    // SAFETY: plain signals and non-blocking waits; the stop signals are
    // blocked here, so the group signal reaches only the others.
    unsafe {
        libc::killpg(libc::getpgrp(), libc::SIGTERM);
        loop {
            for pid in children() {
                libc::kill(pid, libc::SIGKILL);
            }
            loop {
                let pid = libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG);
                if pid < 0 {
                    return;
                }
                if pid == 0 {
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
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

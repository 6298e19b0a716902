//! Signals to a process or a process group this run started, by pid, through
//! rustix. A pid that names none (0 or less: `kill(0, …)` would signal the
//! caller's own group, `-1` every process it may) is never signalled, and
//! a process already gone is not an error: the signal had nothing left to
//! stop.

pub(crate) use rustix::process::Signal;
use rustix::process::{Pid, kill_process, kill_process_group};

/// `sig` to the process `pid`.
pub(crate) fn process(pid: libc::pid_t, sig: Signal) {
    if let Some(pid) = named(pid) {
        let _ = kill_process(pid, sig);
    }
}

/// `sig` to the process group `group`.
pub(crate) fn group(group: libc::pid_t, sig: Signal) {
    if let Some(group) = named(group) {
        let _ = kill_process_group(group, sig);
    }
}

/// The process a pid names: none for 0 or less (`Pid::from_raw` takes a
/// negative one for a pid, which `kill` would read as "every process").
fn named(pid: libc::pid_t) -> Option<Pid> {
    (pid > 0).then(|| Pid::from_raw(pid)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_that_names_no_process_is_never_signalled() {
        // Were 0 or -1 passed on, this test's own process would be killed.
        process(0, Signal::KILL);
        group(0, Signal::KILL);
        process(-1, Signal::KILL);
    }
}

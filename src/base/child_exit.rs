//! Waiting for a child to end, woken the moment it does (its pidfd, Linux
//! 5.3+, becomes readable then; elsewhere, or where the kernel has none,
//! short sleeps between checks), and the code it ended with as a shell
//! tells it.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How long a check waits where no pidfd wakes it.
const POLL: Duration = Duration::from_millis(20);

/// Waits up to `timeout` (forever for `None`) for `child` to end: its
/// status, or `None` when the time ran out.
pub fn wait(child: &mut Child, timeout: Option<Duration>) -> std::io::Result<Option<ExitStatus>> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let watch = Watch::new(child);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Ok(None);
        }
        watch.sleep(left);
    }
}

/// A finished child's exit code as a shell reports it (128 + N when killed
/// by signal N), as one byte: what a stand-in for a program exits with.
pub fn shell_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    u8::try_from(code).unwrap_or(u8::MAX)
}

/// What wakes a wait: the child's pidfd, if the kernel gives one.
struct Watch {
    #[cfg(target_os = "linux")]
    pidfd: Option<rustix::fd::OwnedFd>,
}

impl Watch {
    #[cfg(target_os = "linux")]
    fn new(child: &Child) -> Watch {
        use rustix::process::{Pid, PidfdFlags, pidfd_open};
        let pidfd = i32::try_from(child.id())
            .ok()
            .and_then(Pid::from_raw)
            .and_then(|pid| pidfd_open(pid, PidfdFlags::empty()).ok());
        Watch { pidfd }
    }

    #[cfg(not(target_os = "linux"))]
    fn new(_child: &Child) -> Watch {
        Watch {}
    }

    /// Until the child may have ended, or `left` has passed.
    #[cfg(target_os = "linux")]
    fn sleep(&self, left: Option<Duration>) {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let Some(fd) = &self.pidfd else {
            return std::thread::sleep(left.map_or(POLL, |l| l.min(POLL)));
        };
        let timeout = left.and_then(|l| Timespec::try_from(l).ok());
        // An interrupted or failed poll is a check that comes early.
        let _ = poll(&mut [PollFd::new(fd, PollFlags::IN)], timeout.as_ref());
    }

    #[cfg(not(target_os = "linux"))]
    fn sleep(&self, left: Option<Duration>) {
        std::thread::sleep(left.map_or(POLL, |l| l.min(POLL)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_wait_ends_with_the_child_or_the_timeout() {
        let mut quick = Command::new("true").spawn().unwrap();
        let status = wait(&mut quick, Some(Duration::from_secs(5))).unwrap();
        assert!(status.is_some_and(|s| s.success()));

        let mut slow = Command::new("sleep").arg("5").spawn().unwrap();
        let start = Instant::now();
        assert_eq!(
            wait(&mut slow, Some(Duration::from_millis(100))).unwrap(),
            None
        );
        assert!(start.elapsed() < Duration::from_secs(2));
        slow.kill().unwrap();
        assert!(wait(&mut slow, None).unwrap().is_some());
    }
}

//! The process's job slots: `--jobs` is how many scenario lanes run at once
//! in the whole run, however many schedules (one per codex of the version
//! matrix) draw from them, so one schedule's tail is filled by another's
//! jobs instead of idling.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

pub struct Slots {
    count: usize,
    free: Mutex<usize>,
    freed: Condvar,
}

static SLOTS: OnceLock<Slots> = OnceLock::new();

/// The run's slots, `jobs` of them (the first caller's number holds for
/// the whole process).
pub fn init(jobs: usize) -> &'static Slots {
    SLOTS.get_or_init(|| Slots::new(jobs))
}

impl Slots {
    fn new(jobs: usize) -> Slots {
        Slots {
            count: jobs.max(1),
            free: Mutex::new(jobs.max(1)),
            freed: Condvar::new(),
        }
    }

    /// How many there are.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Waits for a free slot; `None` once a stop signal has arrived (no job
    /// starts after one).
    pub fn take(&self) -> Option<Slot<'_>> {
        let mut free = self.free.lock().expect("job slots");
        loop {
            if crate::base::interrupt::received().is_some() {
                return None;
            }
            if *free > 0 {
                *free -= 1;
                return Some(Slot(self));
            }
            // A signal sets a flag and wakes no one: look again now and then.
            free = self
                .freed
                .wait_timeout(free, Duration::from_millis(200))
                .expect("job slots")
                .0;
        }
    }
}

/// A taken slot, given back when dropped.
pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().expect("job slots") += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn no_more_than_the_slots_run_at_once_across_schedules() {
        let slots = Slots::new(2);
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..5 {
                        let _slot = slots.take().expect("no signal in a unit test");
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*slots.free.lock().unwrap(), 2);
    }
}

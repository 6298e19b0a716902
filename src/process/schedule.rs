//! Which job a free slot takes next: the longest expected first; while the
//! warm worker the Python lane's jobs share is starting, another lane's.
//!
//! The worker costs an import of the SDK (about a second of CPU) once per
//! schedule, on the slot whose job starts it; every slot's Python jobs then
//! run in it. A slot that took a Python job while the worker was starting
//! would wait for it, so it takes another lane's job meanwhile, and waits
//! only when nothing else is left.

/// A job waiting to run.
#[derive(Debug, Clone, Copy)]
pub struct Pending<J> {
    pub job: J,
    /// Seconds it took last time; infinite when it never ran.
    pub expected: f64,
    /// It runs in the warm worker, which it starts if there is none.
    pub needs_worker: bool,
}

pub struct Queue<J> {
    /// Longest expected first; among equals (never timed) in the order given.
    jobs: Vec<Pending<J>>,
    /// A job that starts the worker has been given out.
    worker_claimed: bool,
}

impl<J> Queue<J> {
    pub fn new(mut jobs: Vec<Pending<J>>) -> Queue<J> {
        jobs.sort_by(|a, b| b.expected.total_cmp(&a.expected));
        Queue {
            jobs,
            worker_claimed: false,
        }
    }

    /// The next job for a free slot; `worker_ready` says whether the warm
    /// worker is up. `None`: nothing is left.
    pub fn next(&mut self, worker_ready: bool) -> Option<J> {
        let first = self.jobs.first()?;
        let starting = self.worker_claimed && !worker_ready;
        let index = if first.needs_worker && starting {
            self.jobs.iter().position(|p| !p.needs_worker).unwrap_or(0)
        } else {
            0
        };
        let taken = self.jobs.remove(index);
        self.worker_claimed |= taken.needs_worker;
        Some(taken.job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(jobs: &[(&'static str, f64, bool)]) -> Queue<&'static str> {
        Queue::new(
            jobs.iter()
                .map(|&(job, expected, needs_worker)| Pending {
                    job,
                    expected,
                    needs_worker,
                })
                .collect(),
        )
    }

    #[test]
    fn while_the_worker_starts_the_other_slots_take_other_lanes_jobs() {
        let mut q = queue(&[
            ("py-a", 1.5, true),
            ("exec-a", 0.7, false),
            ("py-b", 0.9, true),
            ("ts-a", 0.8, false),
            ("py-c", 0.4, true),
        ]);
        // The longest job starts the worker.
        assert_eq!(q.next(false), Some("py-a"));
        assert_eq!(q.next(false), Some("ts-a"));
        assert_eq!(q.next(false), Some("exec-a"));
        // Nothing else left: a slot waits for the worker.
        assert_eq!(q.next(false), Some("py-b"));
        assert_eq!(q.next(true), Some("py-c"));
        assert_eq!(q.next(true), None);
    }

    #[test]
    fn once_the_worker_is_up_every_slot_takes_the_longest() {
        let mut q = queue(&[
            ("py-a", 2.0, true),
            ("exec-a", 0.5, false),
            ("py-b", 1.0, true),
            ("py-c", 0.7, true),
        ]);
        assert_eq!(q.next(false), Some("py-a"));
        assert_eq!(q.next(true), Some("py-b"));
        assert_eq!(q.next(true), Some("py-c"));
        assert_eq!(q.next(true), Some("exec-a"));
    }

    #[test]
    fn jobs_never_timed_run_first_in_the_order_given() {
        let mut q = queue(&[
            ("exec-a", 0.5, false),
            ("py-a", f64::INFINITY, true),
            ("ts-a", f64::INFINITY, false),
            ("py-b", f64::INFINITY, true),
        ]);
        assert_eq!(q.next(false), Some("py-a"));
        assert_eq!(q.next(false), Some("ts-a"));
        assert_eq!(q.next(false), Some("exec-a"));
        assert_eq!(q.next(false), Some("py-b"));
    }
}

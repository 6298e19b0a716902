//! Which job a free slot takes next: the longest expected first, and a job
//! that needs a warm worker (a Python lane's) on a slot that has one.
//!
//! A warm worker costs its slot an import of the SDK (about a second of
//! CPU) before its first job. Jobs are not CPU-bound, so a schedule runs one
//! slot more than there are CPUs; given every slot its own worker, the
//! imports were a tenth of a check's CPU. So the Python lane's jobs gather
//! on the slots that have a worker, the others take the other lanes' jobs,
//! and a slot starts a worker of its own only when nothing else is left and
//! the Python work left is more than the slots with one can do in the time
//! a new worker takes to start.

/// A job waiting to run.
#[derive(Debug, Clone, Copy)]
pub struct Pending<J> {
    pub job: J,
    /// Seconds it took last time; infinite when it never ran.
    pub expected: f64,
    /// It runs in a warm worker, which its slot starts if it has none.
    pub needs_worker: bool,
}

pub struct Queue<J> {
    /// Longest expected first; among equals (never timed) in the order given.
    jobs: Vec<Pending<J>>,
    /// How many slots have (or are starting) a warm worker.
    warm: usize,
}

impl<J> Queue<J> {
    pub fn new(mut jobs: Vec<Pending<J>>) -> Queue<J> {
        jobs.sort_by(|a, b| b.expected.total_cmp(&a.expected));
        Queue { jobs, warm: 0 }
    }

    /// The next job for a slot. `warm_here` says whether the slot has a warm
    /// worker, and becomes true when the job given will start one;
    /// `worker_start` is what starting one is expected to take. `None`:
    /// nothing is left for this slot (what is left is better run by the
    /// slots with a worker).
    pub fn next(&mut self, warm_here: &mut bool, worker_start: f64) -> Option<J> {
        if self.jobs.is_empty() {
            return None;
        }
        let first_needing = self.jobs.iter().position(|p| p.needs_worker);
        let index = match first_needing {
            None => 0,
            // The first worker starts with the first job: the Python lane's
            // work is the most there is, and its slot is busy from the start.
            Some(i) if *warm_here || self.warm == 0 => i,
            Some(i) => match self.jobs.iter().position(|p| !p.needs_worker) {
                Some(other) => other,
                None => {
                    let left: f64 = self.jobs.iter().map(|p| p.expected).sum();
                    if left <= self.warm as f64 * worker_start {
                        return None;
                    }
                    i
                }
            },
        };
        let taken = self.jobs.remove(index);
        if taken.needs_worker && !*warm_here {
            *warm_here = true;
            self.warm += 1;
        }
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
    fn python_jobs_gather_on_the_slot_with_a_worker() {
        let mut q = queue(&[
            ("py-a", 1.5, true),
            ("exec-a", 0.7, false),
            ("py-b", 0.9, true),
            ("ts-a", 0.8, false),
            ("py-c", 0.4, true),
        ]);
        let (mut one, mut two, mut three) = (false, false, false);
        // The longest job starts the first slot's worker; the other slots
        // take the other lanes' jobs rather than start workers of their own.
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert!(one);
        assert_eq!(q.next(&mut two, 1.0), Some("ts-a"));
        assert_eq!(q.next(&mut three, 1.0), Some("exec-a"));
        assert!(!two && !three);
        assert_eq!(q.next(&mut one, 1.0), Some("py-b"));
        // Less Python work is left than a worker takes to start: the slot
        // without one is done.
        assert_eq!(q.next(&mut two, 1.0), None);
        assert_eq!(q.next(&mut one, 1.0), Some("py-c"));
        assert_eq!(q.next(&mut one, 1.0), None);
    }

    #[test]
    fn a_slot_starts_a_worker_when_the_python_work_left_outweighs_the_start() {
        let mut q = queue(&[
            ("py-a", 2.0, true),
            ("py-b", 2.0, true),
            ("py-c", 2.0, true),
        ]);
        let (mut one, mut two) = (false, false);
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert_eq!(q.next(&mut two, 1.0), Some("py-b"));
        assert!(two, "4 s of work left is more than one worker's start");
    }

    #[test]
    fn jobs_never_timed_run_first_in_the_order_given_on_every_slot() {
        let mut q = queue(&[
            ("exec-a", 0.5, false),
            ("py-a", f64::INFINITY, true),
            ("py-b", f64::INFINITY, true),
        ]);
        let (mut one, mut two) = (false, false);
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert_eq!(q.next(&mut two, 1.0), Some("exec-a"));
        // Unknown work left: worth a worker of its own.
        assert_eq!(q.next(&mut two, 1.0), Some("py-b"));
    }

    #[test]
    fn without_python_jobs_every_slot_takes_the_longest() {
        let mut q = queue(&[("a", 0.2, false), ("b", 0.9, false), ("c", 0.5, false)]);
        let mut slot = false;
        assert_eq!(q.next(&mut slot, 1.0), Some("b"));
        assert_eq!(q.next(&mut slot, 1.0), Some("c"));
        assert_eq!(q.next(&mut slot, 1.0), Some("a"));
        assert_eq!(q.next(&mut slot, 1.0), None);
        assert!(!slot);
    }
}

//! Which job a free slot takes next: the longest expected first, and a job
//! that needs a warm worker (a Python lane's) on a slot that has one.
//!
//! A warm worker costs its slot an import of the SDK (about a second of
//! CPU) before its first job. Jobs are not CPU-bound, so a schedule runs one
//! slot more than there are CPUs; given every slot its own worker, the
//! imports were a tenth of a check's CPU. So the first job starts one
//! worker, the Python lane's jobs gather on the slots that have one, and a
//! slot without one starts its own only when the schedule is expected to end
//! sooner for it: when the Python work left, spread over one more worker
//! (its start included), ends before the Python slots would alone.

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
    /// How many slots the schedule has.
    slots: usize,
    /// How many of them have (or are starting) a warm worker.
    warm: usize,
}

impl<J> Queue<J> {
    pub fn new(mut jobs: Vec<Pending<J>>, slots: usize) -> Queue<J> {
        jobs.sort_by(|a, b| b.expected.total_cmp(&a.expected));
        Queue {
            jobs,
            slots: slots.max(1),
            warm: 0,
        }
    }

    /// The next job for a slot. `warm_here` says whether the slot has a warm
    /// worker, and becomes true when the job given will start one;
    /// `worker_start` is what starting one is expected to take. `None`:
    /// nothing is left for this slot (what is left is better run by the
    /// slots with a worker).
    pub fn next(&mut self, warm_here: &mut bool, worker_start: f64) -> Option<J> {
        let needing = self.jobs.iter().position(|p| p.needs_worker);
        let other = self.jobs.iter().position(|p| !p.needs_worker);
        let index = match (needing, other) {
            (None, None) => return None,
            (None, Some(i)) => i,
            (Some(i), _) if *warm_here || self.warm == 0 => i,
            (Some(i), _) if self.worth_a_worker(worker_start) => i,
            (Some(_), Some(i)) => i,
            (Some(_), None) => return None,
        };
        let taken = self.jobs.remove(index);
        if taken.needs_worker && !*warm_here {
            *warm_here = true;
            self.warm += 1;
        }
        Some(taken.job)
    }

    /// Whether a slot without a worker should start one: the schedule's
    /// expected end if it does, against if it keeps to the other lanes'
    /// jobs. Python work never timed is worth a worker once nothing else is
    /// left (what it will take is unknown).
    fn worth_a_worker(&self, worker_start: f64) -> bool {
        let left = |python: bool| -> f64 {
            self.jobs
                .iter()
                .filter(|p| p.needs_worker == python)
                .map(|p| p.expected)
                .sum()
        };
        let (python, other) = (left(true), left(false));
        let (warm, cold) = (self.warm as f64, (self.slots - self.warm).max(1) as f64);
        if !python.is_finite() {
            return other == 0.0;
        }
        let keep = (python / warm).max(other / cold);
        let others_alone = match (other > 0.0, cold > 1.0) {
            (false, _) => 0.0,
            (true, true) => other / (cold - 1.0),
            (true, false) => f64::INFINITY,
        };
        let start = ((python + worker_start) / (warm + 1.0)).max(others_alone);
        start < keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(slots: usize, jobs: &[(&'static str, f64, bool)]) -> Queue<&'static str> {
        Queue::new(
            jobs.iter()
                .map(|&(job, expected, needs_worker)| Pending {
                    job,
                    expected,
                    needs_worker,
                })
                .collect(),
            slots,
        )
    }

    #[test]
    fn python_jobs_gather_on_the_slot_with_a_worker() {
        let mut q = queue(
            3,
            &[
                ("py-a", 1.5, true),
                ("exec-a", 1.2, false),
                ("ts-a", 1.1, false),
                ("py-b", 0.5, true),
                ("ts-b", 0.9, false),
                ("exec-b", 0.8, false),
                ("py-c", 0.4, true),
            ],
        );
        let (mut one, mut two, mut three) = (false, false, false);
        // The longest job starts the first slot's worker; the other slots
        // take the other lanes' jobs rather than start workers of their own.
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert!(one);
        assert_eq!(q.next(&mut two, 1.0), Some("exec-a"));
        assert_eq!(q.next(&mut three, 1.0), Some("ts-a"));
        assert_eq!(q.next(&mut one, 1.0), Some("py-b"));
        assert_eq!(q.next(&mut two, 1.0), Some("ts-b"));
        assert_eq!(q.next(&mut three, 1.0), Some("exec-b"));
        assert_eq!(q.next(&mut one, 1.0), Some("py-c"));
        assert!(!two && !three);
        assert_eq!(q.next(&mut two, 1.0), None);
    }

    #[test]
    fn a_long_python_chain_gets_a_second_worker_while_other_work_is_left() {
        let mut q = queue(
            3,
            &[
                ("py-a", 3.0, true),
                ("py-b", 3.0, true),
                ("py-c", 3.0, true),
                ("exec-a", 1.0, false),
                ("ts-a", 1.0, false),
            ],
        );
        let (mut one, mut two, mut three) = (false, false, false);
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        // 6 s of Python on one worker would end last; on two, 3.5 s.
        assert_eq!(q.next(&mut two, 1.0), Some("py-b"));
        assert!(two);
        // Two workers now end before the other lanes' jobs would without
        // the last slot: it keeps to them.
        assert_eq!(q.next(&mut three, 1.0), Some("exec-a"));
        assert!(!three);
    }

    #[test]
    fn a_worker_is_not_started_for_less_work_than_its_start() {
        let mut q = queue(2, &[("py-a", 2.0, true), ("py-b", 0.5, true)]);
        let (mut one, mut two) = (false, false);
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert_eq!(q.next(&mut two, 1.0), None);
        assert!(!two);
        assert_eq!(q.next(&mut one, 1.0), Some("py-b"));
    }

    #[test]
    fn jobs_never_timed_run_first_in_the_order_given_on_every_slot() {
        let mut q = queue(
            2,
            &[
                ("exec-a", 0.5, false),
                ("py-a", f64::INFINITY, true),
                ("py-b", f64::INFINITY, true),
            ],
        );
        let (mut one, mut two) = (false, false);
        assert_eq!(q.next(&mut one, 1.0), Some("py-a"));
        assert_eq!(q.next(&mut two, 1.0), Some("exec-a"));
        // What is left is Python of unknown length: worth a worker.
        assert_eq!(q.next(&mut two, 1.0), Some("py-b"));
        assert!(two);
    }

    #[test]
    fn without_python_jobs_every_slot_takes_the_longest() {
        let mut q = queue(
            2,
            &[("a", 0.2, false), ("b", 0.9, false), ("c", 0.5, false)],
        );
        let mut slot = false;
        assert_eq!(q.next(&mut slot, 1.0), Some("b"));
        assert_eq!(q.next(&mut slot, 1.0), Some("c"));
        assert_eq!(q.next(&mut slot, 1.0), Some("a"));
        assert_eq!(q.next(&mut slot, 1.0), None);
        assert!(!slot);
    }
}

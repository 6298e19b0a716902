//! The process runner: running a scenario module (cold or in a warm
//! worker) under a supervisor that reaps what it leaves, in a scratch
//! directory, within job slots. It knows no codex and no fixture tree.
//! It imports only `base`.

pub(crate) mod job_slots;
pub mod reaper;
pub mod scenario;
pub(crate) mod schedule;
pub(crate) mod scratch;
pub(crate) mod warm;

//! What every layer stands on: the project's layout, typed failures with
//! hints, digests, file writes that are whole or absent, stop signals, and
//! the one safe way to start a child process. It imports no other layer.

pub(crate) mod child_exit;
pub(crate) mod digest;
pub(crate) mod failure;
pub(crate) mod fork_lock;
pub(crate) mod fs;
pub mod interrupt;
pub(crate) mod json;
pub(crate) mod patient_write;
pub(crate) mod private_dir;
pub(crate) mod project;
pub(crate) mod signal_to;

//! `codex exec --json`: what its arguments mean, and the tap that records
//! one run of it.

pub mod args;
pub mod tap;

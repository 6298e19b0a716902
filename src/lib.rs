//! codex-harvest: reproducible golden fixtures for Codex SDK parity tests.
//! See `docs/architecture.md` for the map of these modules.

pub mod checklist;
pub mod cli;
pub mod compare;
pub mod config;
pub mod digest;
pub mod failure;
pub mod harvest;
pub mod inputs;
pub mod interrupt;
pub mod manifest;
pub mod model;
pub mod normalize;
pub mod pins;
pub mod project;
pub mod reaper;
pub mod scenario;
pub mod secrets;
pub mod toolchain;
pub mod tree;
pub mod tree_lock;

//! codex-harvest: reproducible golden fixtures for Codex SDK parity tests.
//! See `docs/architecture.md` for the map of these modules.

pub(crate) mod checklist;
pub mod cli;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod digest;
pub(crate) mod drift_text;
pub(crate) mod failure;
pub(crate) mod harvest;
pub(crate) mod inputs;
pub mod interrupt;
pub(crate) mod lanes;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod normalize;
pub(crate) mod pins;
pub(crate) mod project;
pub mod reaper;
pub mod scenario;
pub(crate) mod scratch;
pub(crate) mod sdk_parity;
pub(crate) mod secrets;
pub(crate) mod toolchain;
pub(crate) mod tree;
pub(crate) mod tree_lock;
pub(crate) mod warm;
pub mod wire;

//! The engine: fixture trees and what is true of them, knowing no codex and
//! running nothing. It reads and swaps trees, keeps their manifests,
//! normalises and redacts outputs, and compares two trees into a drift.
//! It imports only `base`.

pub(crate) mod compare;
pub(crate) mod drift_text;
pub(crate) mod fixture_path;
pub(crate) mod manifest;
pub(crate) mod normalize;
pub(crate) mod schema;
pub(crate) mod secrets;
pub(crate) mod tree;
pub(crate) mod tree_lock;

//! codex-harvest: reproducible golden fixtures for Codex SDK parity tests.
//! See `docs/architecture.md` for the map of these modules.

pub(crate) mod checklist;
pub(crate) mod child_exit;
pub mod cli;
pub(crate) mod codex_compat;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod digest;
pub(crate) mod drift_text;
pub mod exec_args;
pub(crate) mod exec_recipe;
pub mod exec_tap;
pub(crate) mod failure;
pub(crate) mod fixture_path;
pub(crate) mod fork_lock;
pub(crate) mod harvest;
pub(crate) mod inputs;
pub mod interrupt;
pub(crate) mod job_slots;
pub(crate) mod lanes;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod model_provider;
pub(crate) mod normalize;
pub(crate) mod ownership;
pub(crate) mod pins;
pub(crate) mod project;
pub mod reaper;
pub(crate) mod run;
pub mod scenario;
pub(crate) mod schedule;
pub(crate) mod scratch;
pub(crate) mod sdk_parity;
pub(crate) mod secrets;
pub(crate) mod signal_to;
pub(crate) mod slice;
pub(crate) mod toolchain;
pub(crate) mod tree;
pub(crate) mod tree_lock;
pub(crate) mod warm;
pub mod wire;

/// `println!` that never panics: a closed stdout (`check | head -2`) loses
/// the line, not the run, whose verdict is still its exit code.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that never panics (see [`outln!`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (see [`outln!`]).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that never panics (see [`outln!`]).
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

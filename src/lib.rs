//! codex-harvest: reproducible golden fixtures for Codex SDK parity tests.
//! See `docs/architecture.md` for the map of these modules.

// A function a reader can hold: `clippy.toml` sets the limit.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

pub mod base;
pub mod cli;
pub mod codex;
pub(crate) mod engine;
pub(crate) mod harvest;
pub mod process;

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

use std::process::ExitCode;

use clap::Parser;
use codex_harvest::base::interrupt;
use codex_harvest::cli::{self, Cli};
use codex_harvest::codex::exec::tap as exec_tap;
use codex_harvest::codex::wire;
use codex_harvest::process::reaper;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == reaper::ARG) {
        reaper::main(&args[2..]);
    }
    if args.get(1).is_some_and(|a| a == wire::tap::ARG) {
        wire::tap::main(&args[2..]);
    }
    if args.get(1).is_some_and(|a| a == exec_tap::ARG) {
        exec_tap::main(&args[2..]);
    }
    // SIGPIPE stays ignored (Rust's default): a child that closed its stdin
    // is that child's error, and the driver's own output never panics on a
    // closed pipe (`outln!`), so a stop is always a stop signal's, cleaned up.
    interrupt::install();
    cli::exit(cli::run(Cli::parse()))
}

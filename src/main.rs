use std::process::ExitCode;

use clap::Parser;
use codex_harvest::cli::{self, Cli};
use codex_harvest::{interrupt, reaper, scenario, wire};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == reaper::ARG) {
        reaper::main(&args[2..]);
    }
    if args.get(1).is_some_and(|a| a == wire::tap::ARG) {
        wire::tap::main(&args[2..]);
    }
    // A closed pipe (`codex-harvest list | head`) ends the process quietly,
    // as for any Unix filter, instead of panicking inside println!.
    // SAFETY: restoring the default disposition of a signal; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    interrupt::install(scenario::stop_running);
    cli::exit(cli::run(Cli::parse()))
}

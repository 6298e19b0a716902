use std::process::ExitCode;

use clap::Parser;
use codex_harvest::cli::{self, Cli};

fn main() -> ExitCode {
    cli::exit(cli::run(Cli::parse()))
}

//! The command line: its arguments (`args.rs`), one module per command, the
//! reports they print (`report.rs`), and the one place that maps outcomes to
//! exit codes (`exit.rs`).

mod args;
mod audit;
mod bundle;
mod cache;
mod cells;
mod check;
mod exit;
mod harvest;
mod info;
mod init;
mod pin;
mod pin_matrix;
mod regenerate;
mod replay;
mod report;
mod setup;
mod stand_in;
mod verify;

pub use args::Cli;
use args::Command;
use exit::Phase;
pub use exit::{Exit, Failure, exit};

pub fn run(cli: Cli) -> Result<Exit, Failure> {
    let root = &cli.root;
    match &cli.command {
        Command::Harvest(args) => harvest::run(root, args),
        Command::Check(args) => check::run(root, args),
        Command::Verify(args) => verify::run(root, args),
        Command::List(args) => info::list(root, args),
        Command::Doctor(args) => info::doctor(root, args),
        Command::Pins(args) => info::pins(root, args),
        Command::Parity(args) => info::parity(root, args),
        Command::Compat(args) => info::compat(root, args),
        Command::Coverage(args) => info::coverage(root, args),
        Command::Cache(args) => cache::run(root, args),
        Command::Audit(args) => audit::run(root, args),
        Command::Init(args) => init::run(root, args),
        Command::Bundle(args) => bundle::run(root, args),
        Command::Pin(args) => pin::run(root, args),
        Command::Replay(args) if root.is_some() || args.root.is_some() => Err(crate::base::failure::hinted(
            anyhow::anyhow!(
                "replay reads no project: its rules are those of the project above the recording, so --root would be ignored"
            ),
            "drop --root",
        ))
        .or_exit(Exit::Usage),
        Command::Replay(args) => replay::run(args),
        Command::Regenerate(args) => regenerate::run(root, args),
        Command::StandIn(args) => stand_in::run(root, args),
        Command::Normalize(args) => stand_in::normalize(root, args),
    }
}

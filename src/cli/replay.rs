//! `replay`: the command line of `harvest::replay`, its verdict an exit
//! code (6 when the client diverged, the recorded one for exec).

use super::args::ReplayArgs;
use super::exit::{Exit, Failure, Phase};
use crate::harvest::replay::{self, Request, Verdict};

pub fn run(args: &ReplayArgs) -> Result<Exit, Failure> {
    // Replay starts nothing and writes only to its client: a stop signal
    // ends it at once.
    crate::base::interrupt::exit_at_once();
    let verdict = replay::run(&Request {
        recordings: &args.recordings,
        sequence: args.sequence.as_deref(),
        patience: std::time::Duration::from_secs(args.patience),
        args: &args.args,
    })
    .or_exit(Exit::Usage)?;
    Ok(match verdict {
        Verdict::Played(None) => Exit::Clean,
        Verdict::Played(Some(code)) => Exit::Recorded(code),
        Verdict::Diverged(why) => {
            crate::err!("{why}");
            Exit::Diverged
        }
    })
}

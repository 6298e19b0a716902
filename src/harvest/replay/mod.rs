//! `replay`: a stand-in for the `codex` executable that plays a recorded
//! app-server conversation (a wire transcript) or `codex exec --json` run
//! back, so a client's own tests run against what the real pinned codex
//! did. A client that asks for anything else learns it at once, with a
//! diff, instead of reading a fixture that does not answer its question.
//!
//! Replay meets the codex side (the wire player, what exec's arguments
//! mean) with the engine's normalisation and the project's rules, so it is
//! of this layer; the command line only maps its verdict to an exit code.

mod app_server;
mod exec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::base::failure::{Classify, Kind, hinted};
use crate::codex::runs;
use crate::codex::wire;

/// What a start of replay is asked to play, and for whom.
pub struct Request<'a> {
    /// The recordings; several play one per start, in order (`sequence`).
    pub recordings: &'a [PathBuf],
    /// The directory remembering how many of several were played.
    pub sequence: Option<&'a Path>,
    /// How long to wait for each message the recording expects.
    pub patience: Duration,
    /// The arguments the client gave codex.
    pub args: &'a [String],
}

/// How one start ended: the recording played to its end (with the exit
/// code it records, for exec), or the client asked for something else
/// (why, as printed).
pub enum Verdict {
    Played(Option<u8>),
    Diverged(String),
}

/// Plays this start's recording to the client on stdin and stdout. In a
/// sequence the verdict is kept for whoever started the client (a harness,
/// a client's test suite): a client that swallows replay's exit code, stops
/// early or ends codex with a signal still learns it.
pub fn run(req: &Request) -> Result<Verdict> {
    let (recording, verdict_path) = match this_start(req).kind(Kind::Config)? {
        Start::Only(recording) => (recording, None),
        Start::Next(n, recording) => (recording, req.sequence.map(|d| runs::verdict_path(d, n))),
        Start::Beyond(n, dir) => {
            let why = format!(
                "codex-harvest replay: the client started codex once more than the {} recordings it is given hold: a request no recording has (remove {} to start over)\n",
                req.recordings.len(),
                dir.display()
            );
            crate::base::interrupt::settle_word(&runs::verdict_path(&dir, n), why.clone())
                .kind(Kind::Io)?;
            return Ok(Verdict::Diverged(why));
        }
    };
    if let Some(path) = &verdict_path {
        crate::base::interrupt::last_word(
            path,
            format!(
                "codex-harvest replay: the client ended codex with a stop signal before its request to {} was complete\n",
                recording.display()
            ),
        );
    }
    // An exec fixture has its command record beside it; anything else must
    // be a whole wire transcript, and says why not.
    let verdict = if command_record(&recording).is_file() {
        exec::play(&recording, req, verdict_path.as_deref())?
    } else {
        let lines = wire::player::read(&recording)
            .map_err(|e| {
                hinted(
                    e,
                    "replay takes a wire transcript (fixtures/wire/) or an exec fixture with its .command.json beside it (fixtures/exec/)",
                )
            })
            .kind(Kind::Config)?;
        app_server::play(&recording, lines, req, verdict_path.as_deref())?
    };
    if let Some(path) = &verdict_path {
        let kept = match &verdict {
            Verdict::Played(_) => runs::PLAYED_VERDICT.to_string(),
            Verdict::Diverged(why) => why.clone(),
        };
        crate::base::interrupt::settle_word(path, kept).kind(Kind::Io)?;
    }
    Ok(verdict)
}

/// `<name>.command.json` beside an exec fixture `<name>.jsonl`.
fn command_record(recording: &Path) -> PathBuf {
    recording.with_file_name(format!(
        "{}.command.json",
        recording
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .trim_end_matches(".jsonl")
    ))
}

/// Which recording a start plays.
enum Start {
    /// The one recording given.
    Only(PathBuf),
    /// With `--sequence DIR`, the n-th, the first not yet played (claimed
    /// by creating `<n>.played` in DIR).
    Next(usize, PathBuf),
    /// With `--sequence DIR`, none: every one was played; this start is
    /// the n-th, beyond the last (its claim and verdict kept, so a suite
    /// reading the verdicts learns of it).
    Beyond(usize, PathBuf),
}

fn this_start(req: &Request) -> Result<Start> {
    let Some(dir) = req.sequence else {
        let [only] = req.recordings else {
            bail!(
                "{} recordings and no --sequence DIR to remember which to play next",
                req.recordings.len()
            );
        };
        return Ok(Start::Only(only.clone()));
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (n, _, _) = runs::claim_next(dir, runs::CLAIM)
        .with_context(|| format!("claiming the next start in {}", dir.display()))?;
    Ok(match req.recordings.get(n - 1) {
        Some(recording) => Start::Next(n, recording.clone()),
        None => Start::Beyond(n, dir.to_path_buf()),
    })
}

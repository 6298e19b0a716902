//! `replay`: a stand-in for the `codex` executable that plays a recorded
//! app-server conversation (a wire transcript) or `codex exec --json` run
//! back, so a client's own tests run against what the real pinned codex
//! did. A client that asks for anything else learns it at once, with a
//! diff, instead of reading a fixture that does not answer its question.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

use crate::config::HarvestConfig;
use crate::normalize::{Locations, Normalizer, Rule};
use crate::wire::{self, canonical::Line, player::Outcome};

use super::args::ReplayArgs;
use super::exit::{Exit, Failure, Phase};

/// `<name>.command.json`: how the recorded run was started and how it ended.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    args: Vec<String>,
    exit_code: u8,
    /// The schema the run's `--output-schema` file held.
    output_schema: Option<serde_json::Value>,
}

impl Recorded {
    /// Whether `received` asks what the recording answers: the same
    /// arguments, but for `--output-schema`, whose file may be anywhere as
    /// long as it holds the recorded schema.
    fn matches(&self, received: &[String]) -> bool {
        self.args.len() == received.len()
            && self
                .args
                .iter()
                .zip(received)
                .enumerate()
                .all(|(i, (want, got))| {
                    let schema_path = i > 0 && self.args[i - 1] == "--output-schema";
                    match (&self.output_schema, schema_path) {
                        (Some(schema), true) => std::fs::read(got)
                            .ok()
                            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                            .is_some_and(|v| &v == schema),
                        _ => want == got,
                    }
                })
    }
}

pub fn run(args: &ReplayArgs) -> Result<Exit, Failure> {
    let recording = this_start(args).or_exit(Exit::Usage)?;
    let lines = wire::player::read(&recording).ok();
    match lines {
        Some(lines) => app_server(&recording, lines, args),
        None => exec(&recording, args),
    }
}

/// The recording this start plays: the only one, or with `--sequence` the
/// next one not yet played (claimed by creating `<n>.played` in the dir).
fn this_start(args: &ReplayArgs) -> anyhow::Result<PathBuf> {
    let [only] = args.recordings.as_slice() else {
        let dir = args.sequence.as_ref().ok_or_else(|| {
            anyhow!(
                "{} recordings and no --sequence DIR to remember which to play next",
                args.recordings.len()
            )
        })?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (n, recording) in args.recordings.iter().enumerate() {
            let claim = dir.join(format!("{}.played", n + 1));
            match std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&claim)
            {
                Ok(_) => return Ok(recording.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).with_context(|| format!("creating {}", claim.display())),
            }
        }
        bail!(
            "all {} recordings were played already (remove {} to start over)",
            args.recordings.len(),
            dir.display()
        );
    };
    Ok(only.clone())
}

/// `codex app-server --listen stdio://` from a wire transcript.
fn app_server(recording: &Path, lines: Vec<Line>, args: &ReplayArgs) -> Result<Exit, Failure> {
    if !args.args.iter().any(|a| a == "app-server") {
        crate::errln!(
            "codex-harvest replay: {} is an app-server conversation, but the client ran codex {}",
            recording.display(),
            args.args.join(" ")
        );
        return Ok(Exit::Diverged);
    }
    let normalizer = received_normalizer(recording).or_exit(Exit::Usage)?;
    let normalise = |v: serde_json::Value| normalizer.pass().canonical_value(v);
    // A client that stops reading ends the play; it must not kill us first.
    // SAFETY: setting a signal's disposition; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let outcome = wire::player::play(
        &lines,
        &recording.display().to_string(),
        std::io::BufReader::new(std::io::stdin()),
        std::io::stdout().lock(),
        &normalise,
        Duration::from_secs(args.patience),
    )
    .with_context(|| format!("playing {}", recording.display()))
    .or_exit(Exit::Usage)?;
    match outcome {
        Outcome::Played => Ok(Exit::Clean),
        Outcome::Diverged(why) => {
            crate::errln!(
                "codex-harvest replay: the client diverged from {}\n{why}",
                recording.display()
            );
            Ok(Exit::Diverged)
        }
    }
}

/// What brings a received message to the recording's form: the rules of
/// the project the recording belongs to (found above it), with this run's
/// locations (its working directory, `CODEX_HOME`, `HOME`). UUIDs are left
/// alone: the player pairs them with the recorded ones.
fn received_normalizer(recording: &Path) -> anyhow::Result<Normalizer> {
    let absolute = std::path::absolute(recording)
        .with_context(|| format!("resolving {}", recording.display()))?;
    let config = absolute
        .ancestors()
        .map(|dir| dir.join("config/harvest.toml"))
        .find(|p| p.is_file());
    let rules: Vec<Rule> = match config {
        Some(path) => HarvestConfig::load(&path)?
            .rules
            .into_iter()
            .filter(|r| !matches!(r, Rule::Uuid))
            .collect(),
        None => Vec::new(),
    };
    let here = |v: Option<PathBuf>| v.map(|p| vec![p.display().to_string()]).unwrap_or_default();
    let mut locations = Locations::new();
    for var in crate::config::LOCATIONS {
        let spelling = match var {
            "workdir" => here(std::env::current_dir().ok()),
            "codex_home" => here(std::env::var_os("CODEX_HOME").map(PathBuf::from)),
            "home" => here(std::env::var_os("HOME").map(PathBuf::from)),
            _ => Vec::new(),
        };
        locations.insert(var.to_string(), spelling);
    }
    Normalizer::new(&rules, &locations)
}

/// `codex exec --json …` from an exec fixture and its command record.
fn exec(recording: &Path, args: &ReplayArgs) -> Result<Exit, Failure> {
    let stream = std::fs::read(recording)
        .with_context(|| format!("reading the recording {}", recording.display()))
        .or_exit(Exit::Io)?;
    let command_path = recording.with_file_name(format!(
        "{}.command.json",
        recording
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .trim_end_matches(".jsonl")
    ));
    let recorded: Recorded = std::fs::read(&command_path)
        .map_err(anyhow::Error::from)
        .and_then(|b| serde_json::from_slice(&b).map_err(anyhow::Error::from))
        .with_context(|| format!("reading {}", command_path.display()))
        .or_exit(Exit::Usage)?;
    if !recorded.matches(&args.args) {
        crate::err!(
            "{}",
            divergence(&recording.display().to_string(), &recorded.args, &args.args)
        );
        return Ok(Exit::Diverged);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&stream)
        .and_then(|_| out.flush())
        .context("writing the recording to stdout")
        .or_exit(Exit::Io)?;
    Ok(Exit::Recorded(recorded.exit_code))
}

/// The recorded arguments against the received ones, position by position.
fn divergence(recording: &str, recorded: &[String], received: &[String]) -> String {
    let mut out = format!(
        "codex-harvest replay: the client ran codex with other arguments than {recording} records\n"
    );
    for i in 0..recorded.len().max(received.len()) {
        let (r, g) = (recorded.get(i), received.get(i));
        if r != g {
            let show = |a: Option<&String>| a.map_or("(none)".to_string(), |a| format!("{a:?}"));
            out.push_str(&format!(
                "  argument {}:\n    recorded: {}\n    received: {}\n",
                i + 1,
                show(r),
                show(g)
            ));
        }
    }
    out.push_str(&format!(
        "  recorded: {}\n  received: {}\n",
        recorded.join(" "),
        received.join(" ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_divergence_names_each_differing_argument() {
        let recorded: Vec<String> = ["exec", "--json", "Say hello."].map(String::from).into();
        let received: Vec<String> = ["exec", "--json", "Say goodbye.", "--extra"]
            .map(String::from)
            .into();
        let text = divergence("exec/x.jsonl", &recorded, &received);
        assert!(
            text.contains(
                "argument 3:\n    recorded: \"Say hello.\"\n    received: \"Say goodbye.\""
            ),
            "{text}"
        );
        assert!(
            text.contains("argument 4:\n    recorded: (none)\n    received: \"--extra\""),
            "{text}"
        );
        assert!(!text.contains("argument 1:"), "{text}");
    }
}

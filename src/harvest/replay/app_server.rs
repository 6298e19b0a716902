//! Replay of `codex app-server`: a wire transcript played to the client.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Request, Verdict};
use crate::base::failure::{Classify, Kind};
use crate::codex::runs;
use crate::codex::wire::{self, canonical::Line, identity, player::Outcome};
use crate::engine::normalize::{Locations, Normalizer, Rule, host_spellings};
use crate::harvest::config::HarvestConfig;

/// `codex app-server --listen stdio://` from a wire transcript.
pub(super) fn play(
    recording: &Path,
    lines: Vec<Line>,
    req: &Request,
    verdict_path: Option<&Path>,
) -> Result<Verdict> {
    if !req.args.iter().any(|a| a == "app-server") {
        return Ok(Verdict::Diverged(format!(
            "codex-harvest replay: {} is an app-server conversation, but the client ran codex {}\n",
            recording.display(),
            req.args.join(" ")
        )));
    }
    let normalizer = received_normalizer(recording).kind(Kind::Config)?;
    let started_in = std::env::current_dir()
        .context("reading the directory replay was started in")
        .kind(Kind::Io)?;
    let normalise = |mut v: serde_json::Value| {
        identity::without_default_cwd(&mut v, &started_in);
        normalizer.pass().canonical_value(v)
    };
    let input = Counted {
        inner: std::io::BufReader::new(std::io::stdin()),
        count: 0,
        expected: lines
            .iter()
            .filter(|l| l.dir == wire::canonical::Dir::C2s)
            .map(|l| l.msg.clone())
            .collect(),
        recording: recording.display().to_string(),
        verdict_path: verdict_path.map(Path::to_path_buf),
    };
    input.tell();
    let outcome = wire::player::play(
        &lines,
        &recording.display().to_string(),
        input,
        std::io::stdout(),
        &normalise,
        req.patience,
        std::env::var("CODEX_INTERNAL_ORIGINATOR_OVERRIDE").ok(),
    )
    .with_context(|| format!("playing {}", recording.display()))
    .kind(Kind::Config)?;
    Ok(match outcome {
        Outcome::Played => Verdict::Played(None),
        Outcome::Diverged(why) => Verdict::Diverged(format!(
            "codex-harvest replay: the client diverged from {}\n{why}\n",
            recording.display()
        )),
    })
}

/// The client's input, its lines counted: what replay's verdict is if a
/// stop signal ends it now (the Python SDK closes codex's stdin and
/// terminates it at once): played once the client sent every message the
/// recording expects of it, else the next one it still owed.
struct Counted<R> {
    inner: R,
    count: usize,
    expected: Vec<serde_json::Value>,
    recording: String,
    verdict_path: Option<PathBuf>,
}

impl<R> Counted<R> {
    fn tell(&self) {
        let Some(path) = &self.verdict_path else {
            return;
        };
        let word = match self.expected.get(self.count) {
            None => runs::PLAYED_VERDICT.to_string(),
            Some(next) => format!(
                "codex-harvest replay: the client ended codex with a stop signal after {} of the {} messages {} expects of it; the next one:\n{}\n",
                self.count,
                self.expected.len(),
                self.recording,
                serde_json::to_string_pretty(next).unwrap_or_default()
            ),
        };
        crate::base::interrupt::last_word(path, word);
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let lines = self
            .inner
            .fill_buf()
            .map(|b| {
                b[..amt.min(b.len())]
                    .iter()
                    .filter(|&&c| c == b'\n')
                    .count()
            })
            .unwrap_or(0);
        self.inner.consume(amt);
        if lines > 0 {
            self.count += lines;
            self.tell();
        }
    }
}

/// What brings a received message to the recording's form: the rules of
/// the project the recording belongs to (found above it), with this run's
/// locations (its working directory, `CODEX_HOME`, `HOME`). UUIDs are left
/// alone: the player pairs them with the recorded ones.
fn received_normalizer(recording: &Path) -> Result<Normalizer> {
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
    for var in crate::harvest::config::LOCATIONS {
        let spelling = match var {
            "workdir" => here(std::env::current_dir().ok()),
            "codex_home" => here(std::env::var_os("CODEX_HOME").map(PathBuf::from)),
            "home" => here(std::env::var_os("HOME").map(PathBuf::from)),
            "host" => host_spellings(),
            _ => Vec::new(),
        };
        locations.insert(var.to_string(), spelling);
    }
    Normalizer::new(&rules, &locations)
}

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

use crate::base::failure::hinted;
use crate::codex::exec::args::{ExecCall, Prompt};
use crate::codex::runs;
use crate::codex::wire::{self, canonical::Line, player::Outcome};
use crate::engine::normalize::{Locations, Normalizer, Rule};
use crate::harvest::config::HarvestConfig;

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
    /// What the client wrote on stdin (the typescript lane's records; the
    /// exec lane passes the prompt as an argument).
    #[serde(default)]
    stdin: Option<String>,
    /// The environment that named the client: recorded, not compared (it
    /// changes what codex tells the model, not what it prints).
    #[serde(default, rename = "env")]
    _env: serde::de::IgnoredAny,
}

/// The most a client may send on stdin (a prompt), so that a client that
/// streams forever is told so instead of growing replay without bound.
const MAX_STDIN: u64 = 16 << 20;

/// How one start ended: the recording played to its end (with the exit code
/// it records), or the client asked for something else (why, as printed).
enum Verdict {
    Played(Exit),
    Diverged(String),
}

pub fn run(args: &ReplayArgs) -> Result<Exit, Failure> {
    // Replay starts nothing and writes only to its client: a stop signal
    // ends it at once.
    crate::base::interrupt::exit_at_once();
    let (start, recording) = match this_start(args).or_exit(Exit::Usage)? {
        Start::Only(recording) => (None, recording),
        Start::Next(n, recording) => (Some(n), recording),
        Start::Exhausted(dir) => {
            crate::errln!(
                "codex-harvest replay: the client started codex once more than the {} recordings it is given hold: a request no recording has (remove {} to start over)",
                args.recordings.len(),
                dir.display()
            );
            return Ok(Exit::Diverged);
        }
    };
    // In a sequence the verdict is kept for whoever started the client (a
    // harness, a client's test suite): a client that swallows replay's
    // exit code, stops early or ends codex with a signal still learns it.
    let verdict_path = match (&args.sequence, start) {
        (Some(dir), Some(n)) => Some(runs::verdict_path(dir, n)),
        _ => None,
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
        exec(&recording, args)?
    } else {
        let lines = wire::player::read(&recording)
            .map_err(|e| {
                hinted(
                    e,
                    "replay takes a wire transcript (fixtures/wire/) or an exec fixture with its .command.json beside it (fixtures/exec/)",
                )
            })
            .or_exit(Exit::Usage)?;
        app_server(&recording, lines, args, verdict_path.as_deref())?
    };
    let (exit, kept) = match &verdict {
        Verdict::Played(exit) => (*exit, runs::PLAYED_VERDICT.to_string()),
        Verdict::Diverged(why) => {
            crate::err!("{why}");
            (Exit::Diverged, why.clone())
        }
    };
    if let Some(path) = &verdict_path {
        crate::base::interrupt::last_word(path, kept.clone());
        crate::base::fs::write_atomic(path, kept.as_bytes()).or_exit(Exit::Io)?;
    }
    Ok(exit)
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
    /// With `--sequence DIR`, none: every one was played.
    Exhausted(PathBuf),
}

fn this_start(args: &ReplayArgs) -> anyhow::Result<Start> {
    let Some(dir) = &args.sequence else {
        let [only] = args.recordings.as_slice() else {
            bail!(
                "{} recordings and no --sequence DIR to remember which to play next",
                args.recordings.len()
            );
        };
        return Ok(Start::Only(only.clone()));
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (n, recording) in args.recordings.iter().enumerate() {
        let claim = runs::claim_path(dir, n + 1);
        match std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&claim)
        {
            Ok(_) => return Ok(Start::Next(n + 1, recording.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", claim.display())),
        }
    }
    Ok(Start::Exhausted(dir.clone()))
}

/// `codex app-server --listen stdio://` from a wire transcript.
fn app_server(
    recording: &Path,
    lines: Vec<Line>,
    args: &ReplayArgs,
    verdict_path: Option<&Path>,
) -> Result<Verdict, Failure> {
    if !args.args.iter().any(|a| a == "app-server") {
        return Ok(Verdict::Diverged(format!(
            "codex-harvest replay: {} is an app-server conversation, but the client ran codex {}\n",
            recording.display(),
            args.args.join(" ")
        )));
    }
    let normalizer = received_normalizer(recording).or_exit(Exit::Usage)?;
    let normalise = |v: serde_json::Value| normalizer.pass().canonical_value(v);
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
        Duration::from_secs(args.patience),
        std::env::var("CODEX_INTERNAL_ORIGINATOR_OVERRIDE").ok(),
    )
    .with_context(|| format!("playing {}", recording.display()))
    .or_exit(Exit::Usage)?;
    Ok(match outcome {
        Outcome::Played => Verdict::Played(Exit::Clean),
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
    for var in crate::harvest::config::LOCATIONS {
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

/// `codex exec --json …` from an exec fixture and its command record:
/// played when the client's request is the recorded one, whatever its
/// spelling (`exec_args`), its prompt read from stdin as codex reads it.
fn exec(recording: &Path, args: &ReplayArgs) -> Result<Verdict, Failure> {
    let stream = std::fs::read(recording)
        .with_context(|| format!("reading the recording {}", recording.display()))
        .or_exit(Exit::Io)?;
    whole_stream(&stream)
        .with_context(|| format!("{} is not a whole exec recording", recording.display()))
        .map_err(|e| hinted(e, "restore it from the fixtures tree (`codex-harvest verify` names what changed), or harvest it again"))
        .or_exit(Exit::Usage)?;
    let command_path = command_record(recording);
    let recorded: Recorded = std::fs::read(&command_path)
        .map_err(anyhow::Error::from)
        .and_then(|b| serde_json::from_slice(&b).map_err(anyhow::Error::from))
        .with_context(|| format!("reading {}", command_path.display()))
        .or_exit(Exit::Usage)?;
    let want = ExecCall::parse(&recorded.args)
        .with_context(|| format!("reading the arguments {} records", command_path.display()))
        .or_exit(Exit::Usage)?;
    // Codex reads a piped stdin to its end before it starts (the prompt
    // may be there), so replay does too, whatever the arguments: a client
    // never writes into a closed pipe.
    let stdin = match read_stdin(Duration::from_secs(args.patience)) {
        Ok(stdin) => stdin,
        Err(why) => {
            return Ok(Verdict::Diverged(format!(
                "codex-harvest replay: {why}; {} expects the prompt {}\n",
                recording.display(),
                Prompt::of(&want, recorded.stdin.clone().map(String::into_bytes)).describe()
            )));
        }
    };
    let got = ExecCall::parse(&args.args);
    let differences = match &got {
        Ok(got) => compare_calls(&recorded, &want, got, stdin),
        Err(e) => vec![format!("codex exec would refuse these arguments: {e}")],
    };
    let got = match got {
        Ok(got) if differences.is_empty() => got,
        _ => {
            return Ok(Verdict::Diverged(divergence(
                &recording.display().to_string(),
                &recorded.args,
                &args.args,
                &differences,
            )));
        }
    };
    if let Some(path) = &got.last_message {
        write_last_message(&stream, Path::new(path)).or_exit(Exit::Io)?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&stream)
        .and_then(|_| out.flush())
        .context("writing the recording to stdout")
        .or_exit(Exit::Io)?;
    Ok(Verdict::Played(Exit::Recorded(recorded.exit_code)))
}

/// What `codex exec --json` prints, as a fixture holds it: one JSON object a
/// line, the last line ended, at least one (every run says
/// `thread.started`). A truncated, emptied or overwritten recording is
/// refused rather than played to a client whose test would pass on it.
fn whole_stream(stream: &[u8]) -> anyhow::Result<()> {
    let text = std::str::from_utf8(stream).map_err(|_| anyhow!("it is not UTF-8"))?;
    if text.is_empty() {
        bail!("it is empty");
    }
    if !text.ends_with('\n') {
        bail!("its last line is cut short (no newline at its end)");
    }
    for (i, line) in text.lines().enumerate() {
        if !serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()) {
            bail!("line {} is not a JSON object", i + 1);
        }
    }
    Ok(())
}

/// stdin to its end, unless it is a terminal (codex does not read one):
/// within `patience`, and at most [`MAX_STDIN`] bytes.
fn read_stdin(patience: Duration) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(None);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(MAX_STDIN + 1)
            .read_to_end(&mut bytes);
        let _ = tx.send(read.map(|_| bytes));
    });
    match rx.recv_timeout(patience) {
        Ok(Ok(bytes)) if bytes.len() as u64 > MAX_STDIN => Err(format!(
            "the client sent more than {} MiB on stdin",
            MAX_STDIN >> 20
        )),
        Ok(Ok(bytes)) => Ok(Some(bytes)),
        Ok(Err(e)) => Err(format!("reading stdin: {e}")),
        Err(_) => Err(format!(
            "the client kept stdin open for {} s without closing it (codex reads a piped stdin to its end before it starts)",
            patience.as_secs()
        )),
    }
}

/// What differs between the recorded request and the received one, each a
/// line naming the field; empty when they are one request.
fn compare_calls(
    recorded: &Recorded,
    want: &ExecCall,
    got: &ExecCall,
    stdin: Option<Vec<u8>>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |what: String, want: String, got: String| {
        if want != got {
            out.push(format!(
                "{what}:\n    recorded: {want}\n    received: {got}"
            ));
        }
    };
    let show = |v: Option<&Vec<String>>| v.map_or("(absent)".to_string(), |v| format!("{v:?}"));
    field(
        "resume".into(),
        format!("{:?}", want.resume),
        format!("{:?}", got.resume),
    );
    let recorded_stdin = recorded.stdin.clone().map(String::into_bytes);
    let (wp, gp) = (Prompt::of(want, recorded_stdin), Prompt::of(got, stdin));
    field("the prompt".into(), wp.describe(), gp.describe());
    let names: std::collections::BTreeSet<&String> =
        want.options.keys().chain(got.options.keys()).collect();
    for name in names {
        field(
            format!("--{name}"),
            show(want.options.get(name)),
            show(got.options.get(name)),
        );
    }
    let keys: std::collections::BTreeSet<&String> =
        want.config.keys().chain(got.config.keys()).collect();
    let value = |c: &ExecCall, k: &String| c.config.get(k).cloned().unwrap_or("(absent)".into());
    for key in keys {
        field(format!("config {key}"), value(want, key), value(got, key));
    }
    let schema = got.output_schema.as_ref().map(|path| {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .map_or_else(
                || format!("{path} (not a readable JSON file)"),
                |v| v.to_string(),
            )
    });
    field(
        "--output-schema (its JSON)".into(),
        recorded
            .output_schema
            .as_ref()
            .map_or("(absent)".into(), |v| v.to_string()),
        schema.unwrap_or("(absent)".into()),
    );
    out
}

/// `-o FILE`: the last agent message of the run, as codex writes it.
fn write_last_message(stream: &[u8], path: &Path) -> anyhow::Result<()> {
    let last = String::from_utf8_lossy(stream)
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "agent_message")
        .find_map(|e| e["item"]["text"].as_str().map(str::to_string));
    if let Some(text) = last {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The recorded request against the received one, field by field, then
/// both command lines whole.
fn divergence(
    recording: &str,
    recorded: &[String],
    received: &[String],
    differences: &[String],
) -> String {
    let mut out = format!(
        "codex-harvest replay: the client asked codex exec for another request than {recording} records\n"
    );
    for d in differences {
        out.push_str(&format!("  {d}\n"));
    }
    out.push_str(&format!(
        "  recorded: {}\n  received: {}\n",
        recorded.join(" "),
        wire::player::shown(received.join(" ").as_bytes())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> (Vec<String>, ExecCall) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let call = ExecCall::parse(&args).unwrap();
        (args, call)
    }

    #[test]
    fn a_divergence_names_each_differing_field() {
        let (args, want) = call(&["exec", "--json", "-m", "gpt-5.5", "Say hello."]);
        let recorded = Recorded {
            args,
            exit_code: 0,
            output_schema: None,
            stdin: None,
            _env: serde::de::IgnoredAny,
        };
        let (_, same) = call(&["exec", "--experimental-json", "--model", "gpt-5.5"]);
        assert_eq!(
            compare_calls(&recorded, &want, &same, Some(b"Say hello.".to_vec())),
            Vec::<String>::new()
        );
        let (_, other) = call(&[
            "exec",
            "--json",
            "-m",
            "gpt-5.4",
            "--ephemeral",
            "Say goodbye.",
        ]);
        let found = compare_calls(&recorded, &want, &other, None);
        assert_eq!(
            found,
            [
                "the prompt:\n    recorded: \"Say hello.\"\n    received: \"Say goodbye.\"",
                "--ephemeral:\n    recorded: (absent)\n    received: []",
                "config model:\n    recorded: \"gpt-5.5\"\n    received: \"gpt-5.4\"",
            ]
        );
    }

    /// Issue 35, item 1: a truncated, emptied or overwritten exec
    /// recording is refused, a whole one played.
    #[test]
    fn only_a_whole_exec_recording_is_played() {
        let whole = "{\"type\":\"thread.started\"}\n{\"type\":\"turn.started\"}\n";
        assert!(whole_stream(whole.as_bytes()).is_ok());
        for (broken, says) in [
            (&whole[..whole.len() - 5], "cut short"),
            ("", "empty"),
            ("not json at all\n", "line 1 is not a JSON object"),
            ("{}\n[1]\n", "line 2 is not a JSON object"),
        ] {
            let err = whole_stream(broken.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(says), "{broken:?}: {err}");
        }
    }
}

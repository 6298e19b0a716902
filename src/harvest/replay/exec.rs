//! Replay of `codex exec --json`: a recorded run's stream played to a
//! client whose request is the recorded one, whatever its spelling.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use super::{Request, Verdict};
use crate::base::failure::{Classify, Kind, hinted};
use crate::base::json::sorted;
use crate::base::patient_write::{PatientWriter, Sent};
use crate::codex::exec::args::{ExecCall, Prompt};
use crate::codex::runs;
use crate::codex::wire;

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

/// `codex exec --json …` from an exec fixture and its command record:
/// played when the client's request is the recorded one, whatever its
/// spelling (`exec_args`), its prompt read from stdin as codex reads it.
pub(super) fn play(
    recording: &Path,
    req: &Request,
    verdict_path: Option<&Path>,
) -> Result<Verdict> {
    let stream = std::fs::read(recording)
        .with_context(|| format!("reading the recording {}", recording.display()))
        .kind(Kind::Io)?;
    whole_stream(&stream)
        .with_context(|| format!("{} is not a whole exec recording", recording.display()))
        .map_err(|e| hinted(e, "restore it from the fixtures tree (`codex-harvest verify` names what changed), or harvest it again"))
        .kind(Kind::Config)?;
    let command_path = super::command_record(recording);
    let recorded: Recorded = std::fs::read(&command_path)
        .map_err(anyhow::Error::from)
        .and_then(|b| serde_json::from_slice(&b).map_err(anyhow::Error::from))
        .with_context(|| format!("reading {}", command_path.display()))
        .kind(Kind::Config)?;
    let want = ExecCall::parse(&recorded.args)
        .with_context(|| format!("reading the arguments {} records", command_path.display()))
        .kind(Kind::Config)?;
    // Codex reads a piped stdin to its end before it starts (the prompt
    // may be there), so replay does too, whatever the arguments: a client
    // never writes into a closed pipe.
    let stdin = match read_stdin(req.patience) {
        Ok(stdin) => stdin,
        Err(why) => {
            return Ok(Verdict::Diverged(format!(
                "codex-harvest replay: {why}; {} expects the prompt {}\n",
                recording.display(),
                Prompt::of(&want, recorded.stdin.clone().map(String::into_bytes)).describe()
            )));
        }
    };
    let got = ExecCall::parse(req.args);
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
                req.args,
                &differences,
            )));
        }
    };
    // The client has said all it had to: from here a stop signal ends a
    // run that played, as app-server replay's does once the client sent
    // every message it owed.
    if let Some(path) = verdict_path {
        crate::base::interrupt::last_word(path, runs::PLAYED_VERDICT.to_string());
    }
    if let Some(path) = &got.last_message {
        write_last_message(&stream, Path::new(path)).kind(Kind::Io)?;
    }
    let (bytes, shown) = (stream.len(), recording.display());
    Ok(
        match PatientWriter::start(std::io::stdout()).send(stream, req.patience) {
            Sent::Yes => Verdict::Played(Some(recorded.exit_code)),
            Sent::Closed => Verdict::Diverged(format!(
                "codex-harvest replay: the client closed codex's stdout before it had read the {bytes} bytes {shown} holds\n"
            )),
            Sent::Stuck => Verdict::Diverged(format!(
                "codex-harvest replay: the client did not read the {bytes} bytes {shown} holds within {} s (--patience): it left codex's stdout unread\n",
                req.patience.as_secs()
            )),
        },
    )
}

/// What `codex exec --json` prints, as a fixture holds it: one JSON object a
/// line, the last line ended, at least one (every run says
/// `thread.started`). A truncated, emptied or overwritten recording is
/// refused rather than played to a client whose test would pass on it.
fn whole_stream(stream: &[u8]) -> Result<()> {
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
                |v| sorted(&v).to_string(),
            )
    });
    // Compared as JSON values: codex passes the file's keys to the model in
    // their order, and prints the same for any order (tests/replay.rs).
    field(
        "--output-schema (its JSON, keys sorted)".into(),
        recorded
            .output_schema
            .as_ref()
            .map_or("(absent)".into(), |v| sorted(v).to_string()),
        schema.unwrap_or("(absent)".into()),
    );
    out
}

/// `-o FILE`: the last agent message of the run, as codex writes it.
fn write_last_message(stream: &[u8], path: &Path) -> Result<()> {
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

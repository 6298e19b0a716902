//! `replay`: a stand-in for the `codex` executable that plays a recorded
//! `codex exec --json` run back, so a client's own tests run against what
//! the real pinned codex printed. A client that asks for anything else
//! learns it at once, with a diff, instead of reading a fixture that does
//! not answer its question.

use std::io::Write;

use anyhow::Context;
use serde::Deserialize;

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
    let stream = std::fs::read(&args.recording)
        .with_context(|| format!("reading the recording {}", args.recording.display()))
        .or_exit(Exit::Io)?;
    let command_path = args.recording.with_file_name(format!(
        "{}.command.json",
        args.recording
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
        eprint!(
            "{}",
            divergence(
                &args.recording.display().to_string(),
                &recorded.args,
                &args.args
            )
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

//! The wire lane: the whole JSON-RPC conversation between a client and
//! `codex app-server`, recorded by a tap between them.

pub mod canonical;
pub mod identity;
pub mod player;
pub mod tap;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Turns the tap's logs in `log_dir` (one per codex process, in start
/// order) into canonical transcripts at `outputs`, one per process.
pub(crate) fn write_transcripts(
    log_dir: &Path,
    outputs: &[PathBuf],
    unordered: &[String],
) -> Result<()> {
    let logs: Vec<PathBuf> = (1..)
        .map(|n| log_dir.join(format!("{n}.log")))
        .take_while(|p| p.exists())
        .collect();
    if logs.len() != outputs.len() {
        return Err(crate::base::failure::hinted(
            anyhow::anyhow!(
                "the scenario started codex {} time(s), but declares {} wire transcript(s)",
                logs.len(),
                outputs.len()
            ),
            "list one transcript per codex process in the scenario's `wire` (config/harvest.toml; `wire = []` for none)",
        ));
    }
    for (n, (log, out)) in logs.iter().zip(outputs).enumerate() {
        if let Ok(why) = std::fs::read_to_string(tap::failure_note(log)) {
            anyhow::bail!(
                "codex process {}: the transcript is incomplete: {why}",
                n + 1
            );
        }
        let text =
            std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
        let mut logged = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line: canonical::Line = serde_json::from_str(raw)
                .with_context(|| format!("{} line {}", log.display(), i + 1))?;
            if !line.msg.is_object() {
                anyhow::bail!(
                    "codex process {}: a {} line is not a JSON-RPC message: {}",
                    n + 1,
                    if line.dir == canonical::Dir::C2s {
                        "client"
                    } else {
                        "codex"
                    },
                    line.msg
                );
            }
            logged.push(line);
        }
        let logged = crate::codex::sub_agent_order::completions_inside_waits(logged, |l| {
            (l.dir == canonical::Dir::S2c).then_some(&l.msg)
        });
        let mut jsonl = Vec::new();
        for line in canonical::canonical(&logged, unordered) {
            serde_json::to_writer(&mut jsonl, &line)?;
            jsonl.push(b'\n');
        }
        std::fs::create_dir_all(out.parent().expect("outputs have a parent"))?;
        std::fs::write(out, jsonl).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

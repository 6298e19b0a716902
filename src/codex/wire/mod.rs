//! The wire lane: the whole JSON-RPC conversation between a client and
//! `codex app-server`, recorded by a tap between them.

pub mod canonical;
pub mod identity;
pub mod player;
pub mod tap;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

/// Writes `dir/codex`, an executable a client takes for codex: it runs the
/// real `codex` through the tap, logging into `log_dir`. The client and
/// codex see each other's bytes unchanged and codex its usual arguments.
pub(crate) fn shim(dir: &Path, codex: &Path, log_dir: &Path) -> Result<PathBuf> {
    write_shim(dir, &[tap::ARG.into(), quote(log_dir), quote(codex)])
}

/// Writes `dir/codex`, an executable a `codex exec` client takes for codex:
/// it runs the real `codex` through the exec tap, recording each run into
/// `log_dir` (`crate::codex::exec::tap`).
pub(crate) fn exec_shim(dir: &Path, codex: &Path, log_dir: &Path) -> Result<PathBuf> {
    write_shim(
        dir,
        &[crate::codex::exec::tap::ARG.into(), quote(log_dir), quote(codex)],
    )
}

/// Writes `dir/codex` playing `transcripts` back with `codex-harvest
/// replay`, one per start, in order (`state` remembers how many started).
pub(crate) fn replay_shim(dir: &Path, transcripts: &[PathBuf], state: &Path) -> Result<PathBuf> {
    let mut words = vec!["replay".to_string(), "--sequence".into(), quote(state)];
    words.extend(transcripts.iter().map(|t| quote(t)));
    words.push("--".into());
    write_shim(dir, &words)
}

/// `<n>.played` in a `replay --sequence` dir: the n-th recording started.
pub(crate) fn claim_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.played"))
}

/// `<n>.verdict` in a `replay --sequence` dir: how the n-th start ended,
/// [`PLAYED_VERDICT`] or replay's account of the divergence.
pub(crate) fn verdict_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.verdict"))
}

pub(crate) const PLAYED_VERDICT: &str = "played\n";

/// Fails unless the client played every one of `recordings` (through
/// [`replay_shim`] with `state`) to its end: a recording never started is a
/// request the client did not make, and a divergence the client swallowed
/// (replay's exit code unread, the client stopped early) is still one.
pub(crate) fn sequence_played(state: &Path, recordings: &[PathBuf]) -> Result<()> {
    for (i, recording) in recordings.iter().enumerate() {
        let n = i + 1;
        if !claim_path(state, n).exists() {
            bail!(
                "the client started codex {} time(s), but the recordings hold {} run(s): {} was never asked for",
                i,
                recordings.len(),
                recording.display()
            );
        }
        let verdict = std::fs::read_to_string(verdict_path(state, n)).map_err(|_| {
            anyhow!(
                "replay of {} was ended before it could say whether the client matched it (the client killed codex?)",
                recording.display()
            )
        })?;
        if verdict != PLAYED_VERDICT {
            bail!("{}", verdict.trim_end());
        }
    }
    Ok(())
}

fn write_shim(dir: &Path, words: &[String]) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding codex-harvest's own executable")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("codex");
    let script = format!(
        "#!/bin/sh\nexec {} {} \"$@\"\n",
        quote(&exe),
        words.join(" ")
    );
    crate::base::fork_lock::write_executable(&path, script.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The next free `<n>.<ext>` in `dir`, created: creating it claims the
/// number, so processes started one after another are numbered in start
/// order.
pub(crate) fn claim_next(
    dir: &Path,
    ext: &str,
) -> std::io::Result<(usize, PathBuf, std::fs::File)> {
    for n in 1.. {
        let path = dir.join(format!("{n}.{ext}"));
        match std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Ok(file) => return Ok((n, path, file)),
            Err(e) => return Err(e),
        }
    }
    unreachable!("some number is free")
}

/// `p` as one POSIX shell word.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

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

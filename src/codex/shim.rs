//! The `codex` a client is given instead of the real one: an executable
//! that runs codex-harvest itself, as the wire tap, the exec tap or replay.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `dir/codex`, an executable a client takes for codex: it runs the
/// real `codex` through the tap, logging into `log_dir`. The client and
/// codex see each other's bytes unchanged and codex its usual arguments.
pub(crate) fn shim(dir: &Path, codex: &Path, log_dir: &Path) -> Result<PathBuf> {
    write_shim(
        dir,
        &[
            crate::codex::wire::tap::ARG.into(),
            quote(log_dir),
            quote(codex),
        ],
    )
}

/// Writes `dir/codex`, an executable a `codex exec` client takes for codex:
/// it runs the real `codex` through the exec tap, recording each run into
/// `log_dir` (`crate::codex::exec::tap`).
pub(crate) fn exec_shim(dir: &Path, codex: &Path, log_dir: &Path) -> Result<PathBuf> {
    write_shim(
        dir,
        &[
            crate::codex::exec::tap::ARG.into(),
            quote(log_dir),
            quote(codex),
        ],
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

/// `p` as one POSIX shell word.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

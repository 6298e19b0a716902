//! The runs of a stood-in codex, numbered in a state directory in the
//! order they started: each claims its number by creating its file, and a
//! replayed run leaves its verdict beside it.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

/// The extension of a start's claim in a `replay --sequence` dir.
pub(crate) const CLAIM: &str = "played";

/// `<n>.played` in a `replay --sequence` dir: the n-th start, of the
/// n-th recording or, beyond the last, of none.
pub(crate) fn claim_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.{CLAIM}"))
}

/// `<n>.verdict` in a `replay --sequence` dir: how the n-th start ended,
/// [`PLAYED_VERDICT`] or replay's account of the divergence.
pub(crate) fn verdict_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.verdict"))
}

pub(crate) const PLAYED_VERDICT: &str = "played\n";

/// Fails unless the client played every one of `recordings` (through
/// the replay shim with `state`) to its end: a recording never started is a
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
    let beyond = recordings.len() + 1;
    if claim_path(state, beyond).exists() {
        let verdict = std::fs::read_to_string(verdict_path(state, beyond)).unwrap_or_default();
        bail!(
            "the client started codex more often than the {} recording(s) hold: {}",
            recordings.len(),
            verdict.trim_end()
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 35, item 4: a start past the last recording fails the
    /// sequence with its verdict, even when every recording played.
    #[test]
    fn a_start_past_the_last_recording_fails_the_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let recordings = [PathBuf::from("one.jsonl")];
        std::fs::write(claim_path(dir.path(), 1), "").unwrap();
        std::fs::write(verdict_path(dir.path(), 1), PLAYED_VERDICT).unwrap();
        sequence_played(dir.path(), &recordings).unwrap();
        std::fs::write(claim_path(dir.path(), 2), "").unwrap();
        std::fs::write(
            verdict_path(dir.path(), 2),
            "once more than the 1 recordings\n",
        )
        .unwrap();
        let err = sequence_played(dir.path(), &recordings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "more often than the 1 recording(s) hold: once more than the 1 recordings"
            ),
            "{err}"
        );
    }
}

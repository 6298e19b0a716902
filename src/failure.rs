//! What kind of failure an error is, decided where it arises (a full TMPDIR
//! is I/O wherever it is noticed), so that the command line maps kinds to
//! exit codes in one place instead of guessing from the phase it was in.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Flags, `config/`, `integration/`.
    Config,
    /// Python, the SDK, codex, provisioning the pins.
    Toolchain,
    /// A scenario crashed, hung, or wrote what may not be kept.
    Scenario,
    /// A file or directory could not be read or written.
    Io,
}

/// An error with its kind; it reads exactly like the error it wraps.
struct Tagged {
    kind: Kind,
    error: anyhow::Error,
}

impl fmt::Debug for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Tagged {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.chain().nth(1)
    }
}

pub trait Classify<T> {
    /// Marks the error as `kind`; an outer mark wins over an inner one.
    fn kind(self, kind: Kind) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn kind(self, kind: Kind) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::Error::new(Tagged {
                kind,
                error: e.into(),
            })
        })
    }
}

/// The outermost kind marked on `error`, if any.
pub fn kind_of(error: &anyhow::Error) -> Option<Kind> {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<Tagged>())
        .map(|t| t.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::{Context, anyhow};

    #[test]
    fn a_kind_survives_context_and_reads_like_the_error() {
        let err = Err::<(), _>(anyhow!("disk full").context("writing x"))
            .kind(Kind::Io)
            .context("scenario s failed")
            .unwrap_err();
        assert_eq!(kind_of(&err), Some(Kind::Io));
        let lines: Vec<String> = err.chain().map(|c| c.to_string()).collect();
        assert_eq!(lines, ["scenario s failed", "writing x", "disk full"]);
        assert_eq!(kind_of(&anyhow!("plain")), None);
    }
}

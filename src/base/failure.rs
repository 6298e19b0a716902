//! What a failure is, attached where it arises: its kind (a full TMPDIR is
//! I/O wherever it is noticed), so the command line maps kinds to exit
//! codes in one place instead of guessing from the phase it was in; and
//! the hint that tells the user what to do, so that it is shown as the
//! tool's advice and nothing else (not a line a child process printed) can
//! pass for one.

use std::fmt;

/// Later kinds are more severe (and exit with higher codes): of several
/// failures, the most severe decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// An error with its kind and its hint; it reads exactly like the error it
/// wraps. One wrapper carries both, so marking an error twice never hides
/// the first mark behind the second.
struct Marked {
    kind: Option<Kind>,
    hint: Option<String>,
    error: anyhow::Error,
}

impl fmt::Debug for Marked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for Marked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Marked {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.chain().nth(1)
    }
}

/// `error` with `set` applied to its mark: the one it has at the top, or a
/// new one. (anyhow's downcast also reaches through `context`, which would
/// overwrite an inner mark, so the top is asked for by the chain.)
fn mark(mut error: anyhow::Error, set: impl FnOnce(&mut Marked)) -> anyhow::Error {
    let marked_at_top = error
        .chain()
        .next()
        .is_some_and(|top| top.downcast_ref::<Marked>().is_some());
    if marked_at_top && let Some(marked) = error.downcast_mut::<Marked>() {
        set(marked);
        return error;
    }
    let mut marked = Marked {
        kind: None,
        hint: None,
        error,
    };
    set(&mut marked);
    anyhow::Error::new(marked)
}

pub trait Classify<T> {
    /// Marks the error as `kind`; an outer mark wins over an inner one.
    fn kind(self, kind: Kind) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn kind(self, kind: Kind) -> anyhow::Result<T> {
        self.map_err(|e| of_kind(e, kind))
    }
}

/// `error` marked as `kind`, as [`Classify::kind`] marks a result's.
pub fn of_kind(error: impl Into<anyhow::Error>, kind: Kind) -> anyhow::Error {
    mark(error.into(), |m| m.kind = Some(kind))
}

/// `error`, with `hint` telling the user what to do about it.
pub fn hinted(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    let hint = hint.into();
    mark(error.into(), |m| m.hint = Some(hint))
}

/// Several failures of one run (scenarios that failed side by side), each
/// keeping its own kind and hints.
struct Several {
    what: &'static str,
    errors: Vec<anyhow::Error>,
}

impl fmt::Debug for Several {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Several {
    /// Each failure with its causes, one cause a line, so that what one
    /// says never runs into another.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}:", self.errors.len(), self.what)?;
        for e in &self.errors {
            let causes: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            write!(f, "\n\n{}", causes.join("\n  "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Several {}

/// `errors` as one error (`what`: "scenarios failed"); one error stays itself.
pub fn several(what: &'static str, mut errors: Vec<anyhow::Error>) -> anyhow::Error {
    match errors.len() {
        1 => errors.remove(0),
        _ => anyhow::Error::new(Several { what, errors }),
    }
}

/// The first `shown` of a failure's findings, and a last line saying how
/// many more there were: a message stays readable however much is wrong.
pub fn at_most(mut findings: Vec<String>, shown: usize) -> Vec<String> {
    let more = findings.len().saturating_sub(shown);
    findings.truncate(shown);
    if more > 0 {
        findings.push(format!("… and {more} more"));
    }
    findings
}

/// The outermost kind marked on `error`; for several failures, the most
/// severe of theirs.
pub fn kind_of(error: &anyhow::Error) -> Option<Kind> {
    error.chain().find_map(|e| {
        if let Some(m) = e.downcast_ref::<Marked>() {
            return m.kind;
        }
        e.downcast_ref::<Several>()
            .and_then(|s| s.errors.iter().filter_map(kind_of).max())
    })
}

/// Every hint attached to `error` or its causes (each of several failures
/// included), outermost first.
pub fn hints(error: &anyhow::Error) -> Vec<&str> {
    let mut out = Vec::new();
    for e in error.chain() {
        if let Some(m) = e.downcast_ref::<Marked>() {
            out.extend(m.hint.as_deref());
        } else if let Some(s) = e.downcast_ref::<Several>() {
            for inner in &s.errors {
                out.extend(hints(inner));
            }
        }
    }
    out
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

    #[test]
    fn at_most_says_how_many_it_left_out() {
        let findings = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(at_most(findings(2), 2), ["0", "1"]);
        assert_eq!(at_most(findings(4), 2), ["0", "1", "… and 2 more"]);
    }

    #[test]
    fn hints_are_found_through_kinds_and_context() {
        let err = Err::<(), _>(hinted(anyhow!("disk full"), "free some space"))
            .kind(Kind::Io)
            .context("scenario s failed")
            .unwrap_err();
        assert_eq!(hints(&err), ["free some space"]);
        assert_eq!(kind_of(&err), Some(Kind::Io));
        let lines: Vec<String> = err.chain().map(|c| c.to_string()).collect();
        assert_eq!(lines, ["scenario s failed", "disk full"]);
    }

    #[test]
    fn several_failures_keep_each_ones_kind_and_hints() {
        let io = Err::<(), _>(hinted(anyhow!("no space"), "free some space"))
            .kind(Kind::Io)
            .context("scenario a failed")
            .unwrap_err();
        let crash = Err::<(), _>(hinted(anyhow!("traceback"), "see its output"))
            .kind(Kind::Scenario)
            .context("scenario b failed")
            .unwrap_err();
        let err = several("scenarios failed", vec![crash, io]);
        assert_eq!(kind_of(&err), Some(Kind::Io), "the most severe");
        assert_eq!(hints(&err), ["see its output", "free some space"]);
        assert_eq!(
            err.to_string(),
            "2 scenarios failed:\n\nscenario b failed\n  traceback\n\nscenario a failed\n  no space"
        );
        let one = several("scenarios failed", vec![anyhow!("alone")]);
        assert_eq!(one.to_string(), "alone");
    }

    #[test]
    fn an_outer_hint_keeps_the_inner_one() {
        let inner = hinted(anyhow!("two transcripts declared"), "declare one");
        let err = hinted(inner.context("the wire lane"), "rerun with --keep-scratch");
        assert_eq!(hints(&err), ["rerun with --keep-scratch", "declare one"]);
    }
}

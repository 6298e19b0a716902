//! How a run ends: the one place that maps what happened to an exit code,
//! and prints a failure once, with its causes and hints, secrets redacted.

use std::process::ExitCode;

use crate::base::failure::{self, Kind};
use crate::base::interrupt::{self, Interrupted};
use crate::engine::secrets;

/// How a run ended; the exit code follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Clean,
    Drift,
    Usage,
    Toolchain,
    Scenario,
    Io,
    /// `replay`: the client's request is not the recorded one.
    Diverged,
    /// `replay`: the exit code the recorded run had.
    Recorded(u8),
    Interrupted(Interrupted),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Drift => 1,
            Exit::Usage => 2,
            Exit::Toolchain => 3,
            Exit::Scenario => 4,
            Exit::Io => 5,
            Exit::Diverged => 6,
            Exit::Recorded(code) => code,
            Exit::Interrupted(i) => i.exit_code(),
        }
    }
}

impl From<Kind> for Exit {
    fn from(kind: Kind) -> Exit {
        match kind {
            Kind::Config => Exit::Usage,
            Kind::Toolchain => Exit::Toolchain,
            Kind::Scenario => Exit::Scenario,
            Kind::Io => Exit::Io,
        }
    }
}

/// A run that could not finish.
#[derive(Debug)]
pub struct Failure {
    exit: Exit,
    error: anyhow::Error,
}

pub trait Phase<T> {
    /// Fails with the kind the error was marked with where it arose, else
    /// with `exit`, the kind of the step that failed.
    fn or_exit(self, exit: Exit) -> Result<T, Failure>;
}

impl<T> Phase<T> for anyhow::Result<T> {
    fn or_exit(self, exit: Exit) -> Result<T, Failure> {
        self.map_err(|error| Failure {
            exit: failure::kind_of(&error).map_or(exit, Exit::from),
            error,
        })
    }
}

/// Maps the outcome to an exit code, printing a failure once. After a
/// signal, the run failed because of it, whatever the error says (a killed
/// scenario reports its own death).
pub fn exit(outcome: Result<Exit, Failure>) -> ExitCode {
    if let Some(i) = interrupt::received() {
        crate::errln!("{i}");
        return ExitCode::from(i.exit_code());
    }
    match outcome {
        Ok(code) => ExitCode::from(code.code()),
        Err(f) => {
            crate::err!("{}", secrets::redact(&render_error(&f.error)));
            ExitCode::from(f.exit.code())
        }
    }
}

/// `error: …`, then a `caused by: …` line per cause, then each hint once,
/// last. Hints are attached to errors where they arise
/// (`failure::hinted`); a line of text is never taken for one.
fn render_error(error: &anyhow::Error) -> String {
    let mut body = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let label = if body.is_empty() {
            "error: "
        } else {
            "  caused by: "
        };
        body.push_str(label);
        body.push_str(&text);
        body.push('\n');
    }
    let mut shown: Vec<&str> = Vec::new();
    for h in failure::hints(error) {
        if !shown.contains(&h) {
            body.push_str(&format!("hint: {h}\n"));
            shown.push(h);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    #[test]
    fn hints_come_last_once_and_causes_are_labelled() {
        let err = failure::hinted(
            failure::hinted(anyhow!("inner fact"), "do this").context("middle"),
            "do this",
        )
        .context("outer");
        assert_eq!(
            render_error(&err),
            "error: outer\n  caused by: middle\n  caused by: inner fact\nhint: do this\n"
        );
    }

    #[test]
    fn child_output_is_never_taken_for_a_hint() {
        let err = anyhow!("pip failed; its output:\n    hint: from pip\nhint: also from pip");
        assert_eq!(
            render_error(&err),
            "error: pip failed; its output:\n    hint: from pip\nhint: also from pip\n"
        );
        assert!(failure::hints(&err).is_empty());
    }

    #[test]
    fn a_kind_marked_where_the_error_arose_wins() {
        use crate::base::failure::Classify;
        let marked: anyhow::Result<()> = Err(anyhow!("no space")).kind(Kind::Io);
        let f = marked.or_exit(Exit::Scenario).unwrap_err();
        assert_eq!(f.exit, Exit::Io);
        let f = Err::<(), _>(anyhow!("plain"))
            .or_exit(Exit::Scenario)
            .unwrap_err();
        assert_eq!(f.exit, Exit::Scenario);
    }
}

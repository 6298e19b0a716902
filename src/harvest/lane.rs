//! Which lanes a run records, and which of a scenario's files each lane
//! answers for.

use std::collections::BTreeSet;

use crate::engine::fixture_path::FixturePath;
use crate::harvest::config::Scenario;

/// Which lanes a run records. The Python and wire lanes are one run (the
/// wire lane taps the Python SDK's conversation), kept or dropped apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lanes {
    pub python: bool,
    pub wire: bool,
    pub exec: bool,
    pub typescript: bool,
}

impl Lanes {
    pub const ALL: Lanes = Lanes {
        python: true,
        wire: true,
        exec: true,
        typescript: true,
    };
}

/// One lane's share of a scenario: a job of its own in the run's schedule.
/// The Python and wire lanes are one run (the wire lane taps the Python
/// SDK's conversation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lane {
    Python,
    Exec,
    Typescript,
}

impl Lane {
    pub fn name(self) -> &'static str {
        match self {
            Lane::Python => "python",
            Lane::Exec => "exec",
            Lane::Typescript => "typescript",
        }
    }
}

/// The lanes of `s` that `lanes` selects: the Python SDK's (tapped for the
/// wire lane) when the scenario has its outputs (a project that records
/// other lanes alone has none), `codex exec`'s when it has an exec recipe,
/// the TypeScript SDK's when it has a TypeScript module.
pub(crate) fn lanes_of(s: &Scenario, lanes: Lanes) -> Vec<Lane> {
    let mut out = Vec::new();
    if (lanes.python || lanes.wire) && !s.outputs.is_empty() {
        out.push(Lane::Python);
    }
    if lanes.exec && s.exec.is_some() {
        out.push(Lane::Exec);
    }
    if lanes.typescript && !s.typescript.is_empty() {
        out.push(Lane::Typescript);
    }
    out
}

/// The paths a run of `s` in `lanes` answers for, where that is not every
/// file `s` produces: the outputs of the lanes it runs and their failure
/// records. Against replay, the recordings replay plays are its input.
pub(crate) fn scope(s: &Scenario, lanes: Lanes, replay: bool) -> Option<BTreeSet<String>> {
    if lanes == Lanes::ALL && !replay {
        return None;
    }
    let mut paths: Vec<&FixturePath> = Vec::new();
    let mut failed = Vec::new();
    for lane in lanes_of(s, lanes) {
        failed.push(s.failure_output(lane.name()));
        match lane {
            Lane::Python => {
                if lanes.python {
                    paths.extend(&s.outputs);
                }
                if lanes.wire && !replay {
                    paths.extend(&s.wire);
                }
            }
            Lane::Exec => paths.extend(
                s.exec
                    .iter()
                    .flat_map(|e| e.steps.iter().flat_map(|st| [&st.output, &st.command])),
            ),
            Lane::Typescript => {
                paths.extend(&s.typescript);
                if !replay {
                    paths.extend(s.typescript_codex.iter().flatten());
                }
            }
        }
    }
    Some(
        paths
            .into_iter()
            .map(|p| p.to_string())
            .chain(failed)
            .collect(),
    )
}

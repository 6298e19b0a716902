//! How long each (scenario, lane) job took when it last ran, kept in the
//! cache: the order a schedule starts its jobs in.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harvest::lane::Lane;

/// How long each (scenario, lane) job took when it last ran, kept in the
/// cache: the order a schedule starts its jobs in. Missing or unreadable,
/// it is empty; it is only ever a hint.
#[derive(Default)]
pub(crate) struct Durations {
    seconds: BTreeMap<String, f64>,
}

impl Durations {
    fn key(scenario: &str, lane: Lane) -> String {
        format!("{scenario}/{}", lane.name())
    }

    pub(crate) fn load(path: Option<&Path>) -> Durations {
        let seconds = path
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Durations { seconds }
    }

    /// A job never timed goes first: catalogue order among them.
    pub(crate) fn expected(&self, scenario: &str, lane: Lane) -> f64 {
        self.seconds
            .get(&Self::key(scenario, lane))
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    pub(crate) fn remember(&mut self, scenario: &str, lane: Lane, seconds: f64) {
        self.seconds.insert(Self::key(scenario, lane), seconds);
    }

    pub(crate) fn save(&self, path: Option<&Path>) {
        if let Some(path) = path
            && let Ok(bytes) = serde_json::to_vec_pretty(&self.seconds)
        {
            let _ = crate::base::fs::write_atomic(path, &bytes);
        }
    }
}

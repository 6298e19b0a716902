//! The provenance of a fixtures tree (`provenance.json`): for each scenario,
//! the outputs it produced, the digests of its inputs and the toolchain that
//! ran it. It holds no timestamp: the same inputs give the same bytes.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::base::digest;
use crate::engine::fixture_path::PROVENANCE_FILE;
use crate::engine::tree::Tree;
use crate::harvest::config::Scenario;
use crate::harvest::run::Session;

/// Where every fixture came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub scenarios: BTreeMap<String, ScenarioRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRecord {
    pub outputs: Vec<String>,
    /// Digest over every input below: equal digests, equal fixtures.
    pub input_digest: String,
    /// Per-input digests, to tell which input moved.
    pub inputs: BTreeMap<String, String>,
    /// The components that produced the outputs, by name.
    pub toolchain: BTreeMap<String, ComponentRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentRecord {
    pub version: String,
    pub pinned: bool,
    /// An SDK checkout's package digest: what exactly ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// An SDK checkout's git commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The codex an SDK bundles, when that is not the codex that ran (the
    /// SDK was pointed at the pinned binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundles_codex: Option<String>,
}

impl ScenarioRecord {
    pub fn new(
        outputs: Vec<String>,
        inputs: BTreeMap<String, String>,
        toolchain: BTreeMap<String, ComponentRecord>,
    ) -> ScenarioRecord {
        let input_digest =
            digest::sha256_parts(inputs.iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
        ScenarioRecord {
            outputs,
            input_digest,
            inputs,
            toolchain,
        }
    }
}

impl Provenance {
    pub fn from_tree(tree: &Tree) -> Result<Option<Provenance>> {
        tree.get(PROVENANCE_FILE)
            .map(|bytes| {
                serde_json::from_slice(bytes).with_context(|| format!("reading {PROVENANCE_FILE}"))
            })
            .transpose()
    }

    pub fn render(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("provenance serialises");
        out.push(b'\n');
        out
    }
}

/// The outputs a scenario's record lists, of those `has`: its declared
/// outputs in the catalogue's order, then its failure records in path
/// order, as provenance has always listed them.
pub(crate) fn listed_outputs(s: &Scenario, has: impl Fn(&str) -> bool) -> Vec<String> {
    let mut failed: Vec<String> = crate::harvest::config::LANE_DIRS
        .iter()
        .map(|l| s.failure_output(l))
        .filter(|p| has(p))
        .collect();
    failed.sort();
    s.all_outputs()
        .map(|o| o.to_string())
        .filter(|o| has(o))
        .chain(failed)
        .collect()
}

/// The components a scenario ran with, as its record lists them.
pub fn toolchain_record(session: &Session, s: &Scenario) -> BTreeMap<String, ComponentRecord> {
    let t = session.toolchain;
    let record = |c: &crate::codex::toolchain::Component| ComponentRecord {
        version: c.version.clone(),
        pinned: c.pinned,
        digest: c.digest.clone(),
        commit: c.commit.clone(),
        bundles_codex: None,
    };
    let mut components = BTreeMap::from([
        ("codex".into(), record(&t.codex)),
        (
            "python-sdk".into(),
            ComponentRecord {
                bundles_codex: session.pins.sdk_runtime_differs().map(str::to_string),
                ..record(&t.sdk)
            },
        ),
        // The interpreter's minor, which decides the wheels it runs: the
        // patch level differs between the two ways in and is not recorded.
        (
            "python".into(),
            ComponentRecord {
                version: t
                    .python_version
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("."),
                pinned: t.python_pinned(session.pins),
                digest: None,
                commit: None,
                bundles_codex: None,
            },
        ),
    ]);
    // Node itself is the system's and not recorded: the SDK's bytes are what
    // the lock pins, and no lock wheel depends on Node's version.
    if let Some(pin) = session
        .typescript_pin
        .as_ref()
        .filter(|_| !s.typescript.is_empty())
    {
        components.insert(
            "typescript-sdk".into(),
            ComponentRecord {
                version: pin.version.clone(),
                pinned: true,
                digest: Some(pin.integrity.clone()),
                commit: None,
                bundles_codex: None,
            },
        );
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_round_trips_without_timestamps() {
        let mut p = Provenance::default();
        p.scenarios.insert(
            "s".into(),
            ScenarioRecord::new(
                vec!["python/s.jsonl".into()],
                BTreeMap::from([("script".into(), "ab".into())]),
                BTreeMap::from([(
                    "codex".into(),
                    ComponentRecord {
                        version: "1".into(),
                        pinned: true,
                        digest: None,
                        commit: None,
                        bundles_codex: None,
                    },
                )]),
            ),
        );
        let bytes = p.render();
        let tree = Tree::from([(PROVENANCE_FILE.to_string(), bytes.clone())]);
        assert_eq!(Provenance::from_tree(&tree).unwrap().unwrap(), p);
        assert!(bytes.ends_with(b"}\n"));
    }
}

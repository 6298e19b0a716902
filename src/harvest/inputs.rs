//! What a scenario's fixtures depend on, digested: its module, the shared
//! support modules, its model script, kwargs, provider settings, the rules,
//! the pins, and per lane what only that lane reads (the exec recipe, the
//! wire lane's order, the typescript modules and SDK pin).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::base::digest;
use crate::base::failure::hinted;
use crate::base::project::Project;
use crate::codex::model::Script;
use crate::harvest::config::{HarvestConfig, Scenario};

/// Per-input digests of a scenario, as recorded in the provenance: equal
/// digests mean the scenario would produce the same fixtures.
pub fn digests(
    project: &Project,
    config: &HarvestConfig,
    pins_digest: &str,
    s: &Scenario,
) -> Result<BTreeMap<String, String>> {
    let file = |p: &Path| -> Result<String> { Ok(digest::sha256_hex(&read(p)?)) };
    let support_bytes = support_files(&project.scenarios_dir(), ".py")?;
    let mut kwargs = s.kwargs.clone();
    kwargs.insert("model".into(), Value::String(config.model.clone()));
    // Keys in sorted order: the digest must not follow their order in the TOML.
    let mut kwargs = Value::Object(kwargs);
    kwargs.sort_all_objects();
    let rules = serde_json::to_vec(&config.rules).expect("rules serialise");
    let mut digests = BTreeMap::from([
        ("module".into(), file(&project.scenario_module(&s.name))?),
        (
            "support".into(),
            digest::sha256_parts(
                support_bytes
                    .iter()
                    .map(|(n, b)| (n.as_str(), b.as_slice())),
            ),
        ),
        ("script".into(), file(&project.model_script(&s.name))?),
        (
            "kwargs".into(),
            digest::sha256_hex(kwargs.to_string().as_bytes()),
        ),
        (
            "model_provider".into(),
            digest::sha256_hex(&serde_json::to_vec(&s.model_provider)?),
        ),
        ("rules".into(), digest::sha256_hex(&rules)),
        ("pins".into(), pins_digest.to_string()),
    ]);
    // Only scenarios with an exec lane have this input, so the others'
    // digests do not move.
    if let Some(recipe) = &s.exec {
        digests.insert(
            "exec".into(),
            digest::sha256_hex(&serde_json::to_vec(recipe)?),
        );
    }
    // And the wire lane's order: the methods recorded last, by method,
    // decide how every transcript reads.
    if !s.wire.is_empty() {
        digests.insert(
            "wire".into(),
            digest::sha256_hex(&serde_json::to_vec(&config.wire.unordered)?),
        );
    }
    // Likewise the typescript lane: its module, its shared modules and the
    // SDK's pin.
    if !s.typescript.is_empty() {
        let ts_dir = project.typescript_scenarios_dir();
        let pin_dir = project.typescript_pin_dir();
        let mut parts = vec![(
            "module".to_string(),
            read(&project.typescript_module(&s.name))?,
        )];
        parts.extend(support_files(&ts_dir, ".mjs")?);
        for name in ["package.json", "package-lock.json"] {
            parts.push((name.to_string(), read(&pin_dir.join(name))?));
        }
        digests.insert(
            "typescript".into(),
            digest::sha256_parts(parts.iter().map(|(n, b)| (n.as_str(), b.as_slice()))),
        );
    }
    Ok(digests)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The shared modules in `dir` (names starting with `_`, ending in `ext`),
/// sorted, with their bytes.
fn support_files(dir: &Path, ext: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(ext) && name.starts_with('_') {
            names.push(name);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|n| Ok((n.clone(), read(&dir.join(&n))?)))
        .collect()
}

/// Inputs every scenario shares, and what to call them.
const SHARED: [(&str, &str); 4] = [
    ("rules", "the normalisation rules"),
    ("pins", "the pins"),
    ("support", "the shared scenario modules"),
    (
        "wire",
        "the wire lane's unordered methods ([wire] in config/harvest.toml)",
    ),
];

/// A shared input that moved, and how many recorded scenarios it made stale.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SharedChange {
    pub input: &'static str,
    pub stale: usize,
}

/// The shared inputs (the rules, the pins, the support modules) whose
/// digest today differs from the one recorded (scenario → its per-input
/// digests) for at least one scenario: one cause for many stale scenarios,
/// to be said once rather than per scenario.
pub fn shared_changes(
    recorded: &BTreeMap<String, BTreeMap<String, String>>,
    current: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<SharedChange> {
    SHARED
        .iter()
        .map(|(key, what)| SharedChange {
            input: what,
            stale: recorded
                .iter()
                .filter(|(name, inputs)| {
                    let now = current.get(*name).and_then(|c| c.get(*key));
                    inputs
                        .get(*key)
                        .is_some_and(|was| now.is_some_and(|now| now != was))
                })
                .count(),
        })
        .filter(|c| c.stale > 0)
        .collect()
}

/// Checks that each selected scenario has its module and model script, so a
/// typo is a config error before anything runs.
pub fn check_inputs(project: &Project, scenarios: &[&Scenario]) -> Result<()> {
    for s in scenarios {
        let typescript = (!s.typescript.is_empty())
            .then(|| (project.typescript_module(&s.name), "TypeScript module"));
        for (path, what) in [
            (project.scenario_module(&s.name), "module"),
            (project.model_script(&s.name), "model script"),
        ]
        .into_iter()
        .chain(typescript)
        {
            if !path.is_file() {
                return Err(hinted(
                    anyhow!(
                        "scenario {:?} has no {what}: {} is missing",
                        s.name,
                        project.display(&path)
                    ),
                    "create it, or remove the scenario from config/harvest.toml",
                ));
            }
        }
        let path = project.model_script(&s.name);
        let script = Script::load(&path)?;
        crate::harvest::responses_api::check(&script, &project.display(&path))?;
        for note in script.deprecations {
            crate::errln!("warning: {}: {note}", project.display(&path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests(rules: &str, script: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("rules".to_string(), rules.to_string()),
            ("script".to_string(), script.to_string()),
        ])
    }

    #[test]
    fn a_shared_input_that_moved_everywhere_is_named_once() {
        let recorded = BTreeMap::from([
            ("a".to_string(), digests("r1", "s1")),
            ("b".to_string(), digests("r1", "s2")),
        ]);
        let same = recorded.clone();
        assert!(shared_changes(&recorded, &same).is_empty());
        let moved = BTreeMap::from([
            ("a".to_string(), digests("r2", "s1")),
            ("b".to_string(), digests("r2", "s9")),
        ]);
        let rules = |stale| SharedChange {
            input: "the normalisation rules",
            stale,
        };
        assert_eq!(shared_changes(&recorded, &moved), [rules(2)]);
        // One scenario harvested since: the other is still stale.
        let recorded_after = BTreeMap::from([
            ("a".to_string(), digests("r2", "s1")),
            ("b".to_string(), digests("r1", "s2")),
        ]);
        assert_eq!(shared_changes(&recorded_after, &moved), [rules(1)]);
    }
}

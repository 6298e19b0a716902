//! What a scenario's fixtures depend on, digested: its module, the shared
//! support modules, its model script, kwargs, provider settings, the rules
//! and the pins.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::config::{HarvestConfig, Scenario};
use crate::digest;
use crate::project::Project;

/// Per-input digests of a scenario, as recorded in the provenance: equal
/// digests mean the scenario would produce the same fixtures.
pub fn digests(
    project: &Project,
    config: &HarvestConfig,
    pins_digest: &str,
    s: &Scenario,
) -> Result<BTreeMap<String, String>> {
    let file = |p: &Path| -> Result<String> {
        Ok(digest::sha256_hex(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        ))
    };
    let mut support = Vec::new();
    for entry in std::fs::read_dir(project.scenarios_dir())
        .with_context(|| format!("reading {}", project.scenarios_dir().display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".py") && name.starts_with('_') {
            support.push(name);
        }
    }
    support.sort();
    let support_bytes: Vec<(String, Vec<u8>)> = support
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(project.scenarios_dir().join(&n))?;
            Ok((n, bytes))
        })
        .collect::<Result<_>>()?;
    let mut kwargs = s.kwargs.clone();
    kwargs.insert("model".into(), Value::String(config.model.clone()));
    // Keys in sorted order: the digest must not follow their order in the TOML.
    let mut kwargs = Value::Object(kwargs);
    kwargs.sort_all_objects();
    let rules = serde_json::to_vec(&config.rules).expect("rules serialise");
    Ok(BTreeMap::from([
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
    ]))
}

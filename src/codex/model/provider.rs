//! What a scenario may set in the scripted model's provider entry
//! (`model_provider = { … }` in `config/harvest.toml`): the config reads it,
//! the scripted model's `CODEX_HOME` writes it.

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};

use crate::base::failure::hinted;

/// What a scenario may set in the scripted model's provider entry: retries
/// and timeouts only. The endpoint, the key variable and the wire API are the
/// driver's, so no scenario can point codex at a real model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_max_retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_max_retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_idle_timeout_ms: Option<u64>,
}

/// The keys a scenario may set. Earlier releases passed any key on to codex's
/// provider entry; those keys are refused with what to do instead.
const SETTABLE: [&str; 3] = [
    "request_max_retries",
    "stream_max_retries",
    "stream_idle_timeout_ms",
];

impl ProviderSettings {
    /// A scenario's `model_provider` table, read.
    pub fn from_table(table: toml::Table) -> Result<ProviderSettings> {
        if let Some(key) = table.keys().find(|k| !SETTABLE.contains(&k.as_str())) {
            return Err(hinted(
                anyhow!(
                    "`{key}` is not a scenario's to set (earlier releases passed any key on to codex): the endpoint, its key and its wire API are the driver's, so that codex talks to the scripted model only"
                ),
                format!("remove it; a scenario may set {}", SETTABLE.join(", ")),
            ));
        }
        toml::Value::Table(table)
            .try_into()
            .context("reading the retry and timeout settings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_settable_key_is_read_and_any_other_is_refused_with_what_to_do() {
        for key in SETTABLE {
            let table: toml::Table = toml::from_str(&format!("{key} = 3")).unwrap();
            assert_ne!(
                ProviderSettings::from_table(table).unwrap(),
                ProviderSettings::default(),
                "{key}"
            );
        }
        let table: toml::Table = toml::from_str("base_url = \"https://example.invalid\"").unwrap();
        let err = ProviderSettings::from_table(table).unwrap_err();
        assert!(
            err.to_string()
                .contains("`base_url` is not a scenario's to set"),
            "{err}"
        );
        assert!(crate::base::failure::hints(&err)[0].starts_with("remove it"));
    }
}

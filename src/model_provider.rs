//! What a scenario may set in the scripted model's provider entry
//! (`model_provider = { … }` in `config/harvest.toml`): the config reads it,
//! the scripted model's `CODEX_HOME` writes it.

use serde::{Deserialize, Serialize};

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

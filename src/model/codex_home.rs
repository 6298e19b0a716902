//! The throw-away `CODEX_HOME` that points codex at the scripted model.

use std::path::Path;

use anyhow::{Context, Result};

/// The environment variable codex reads the (dummy) API key from.
pub const API_KEY_VAR: &str = "CODEX_HARVEST_API_KEY";
/// The dummy key: never a real credential, and a secret scan finds it if it
/// ever leaks into a fixture.
pub const API_KEY: &str = "harvest-scripted-model-key";

/// Writes `config.toml` into `codex_home` so codex talks to `base_url` only,
/// with no retries of its own unless a scenario's config asks.
pub fn write(codex_home: &Path, base_url: &str) -> Result<()> {
    let config = format!(
        r#"# Written by codex-harvest: codex talks to the scripted model only.
model_provider = "harvest"

[model_providers.harvest]
name = "harvest scripted model"
base_url = "{base_url}"
wire_api = "responses"
env_key = "{API_KEY_VAR}"
request_max_retries = 0
stream_max_retries = 0
"#
    );
    let path = codex_home.join("config.toml");
    std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))
}

//! The throw-away `CODEX_HOME` that points codex at the scripted model.

use std::path::Path;

use anyhow::{Context, Result};

use crate::codex::model::provider::ProviderSettings;

/// The environment variable codex reads the (dummy) API key from.
pub const API_KEY_VAR: &str = "CODEX_HARVEST_API_KEY";
/// The dummy key: never a real credential, and a secret scan finds it if it
/// ever leaks into a fixture.
pub const API_KEY: &str = "harvest-scripted-model-key";

/// Writes `config.toml` into `codex_home` so codex talks to `base_url` only,
/// with no retries of its own unless the scenario's `settings` ask.
pub fn write(codex_home: &Path, base_url: &str, settings: &ProviderSettings) -> Result<()> {
    let mut provider: toml::Table = toml::from_str(&format!(
        r#"
name = "harvest scripted model"
base_url = "{base_url}"
wire_api = "responses"
env_key = "{API_KEY_VAR}"
request_max_retries = 0
stream_max_retries = 0
"#
    ))
    .expect("the provider template is TOML");
    let toml::Value::Table(overrides) =
        toml::Value::try_from(settings).context("rendering the provider settings")?
    else {
        unreachable!("a struct serialises to a table")
    };
    provider.extend(overrides);
    let mut doc = toml::Table::new();
    doc.insert("model_provider".into(), "harvest".into());
    doc.insert(
        "model_providers".into(),
        toml::Value::Table(toml::Table::from_iter([(
            "harvest".to_string(),
            provider.into(),
        )])),
    );
    // Two of codex's own start-up jobs read the machine, not the scenario:
    // the curated-plugin sync fetches a git repository over the network
    // (and waits out the resolver where there is none), and the shell
    // snapshot runs the machine's login shell to capture its environment.
    // Neither shows in any lane's events (every cell was checked clean
    // without them); together they were a quarter of a check's CPU.
    doc.insert(
        "features".into(),
        toml::Value::Table(toml::Table::from_iter([
            ("plugins".to_string(), false.into()),
            ("shell_snapshot".to_string(), false.into()),
        ])),
    );
    // The host's /tmp is no writable root of codex's sandbox: a scenario
    // writes only its own scratch dir (its workdir and TMPDIR). In a
    // writable root codex's bubblewrap sandbox makes mount targets for the
    // paths it protects (`.git`, `.codex`, `.agents`, …) and leaves them
    // when codex is killed; an empty `/tmp/.git` then makes codex take every
    // later scenario's workdir for part of a git repository.
    doc.insert(
        "sandbox_workspace_write".into(),
        toml::Value::Table(toml::Table::from_iter([(
            "exclude_slash_tmp".to_string(),
            true.into(),
        )])),
    );
    let config = format!(
        "# Written by codex-harvest: codex talks to the scripted model only.\n{}",
        toml::to_string(&doc).context("rendering config.toml")?
    );
    let path = codex_home.join("config.toml");
    std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_codex_at_the_model_and_lays_overrides_over_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let settings: ProviderSettings = toml::from_str("request_max_retries = 2").unwrap();
        write(dir.path(), "http://127.0.0.1:9/v1", &settings).unwrap();
        let written: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.path().join("config.toml")).unwrap())
                .unwrap();
        let provider = &written["model_providers"]["harvest"];
        assert_eq!(written["model_provider"].as_str(), Some("harvest"));
        assert_eq!(provider["base_url"].as_str(), Some("http://127.0.0.1:9/v1"));
        assert_eq!(provider["request_max_retries"].as_integer(), Some(2));
        assert_eq!(provider["stream_max_retries"].as_integer(), Some(0));
        assert_eq!(provider["env_key"].as_str(), Some(API_KEY_VAR));
        assert_eq!(written["features"]["plugins"].as_bool(), Some(false));
        assert_eq!(written["features"]["shell_snapshot"].as_bool(), Some(false));
        assert_eq!(
            written["sandbox_workspace_write"]["exclude_slash_tmp"].as_bool(),
            Some(true)
        );
    }

    #[test]
    fn a_scenario_cannot_set_the_endpoint_or_the_key() {
        for bad in [
            "base_url = \"https://example.invalid/v1\"",
            "env_key = \"OPENAI_API_KEY\"",
            "wire_api = \"chat\"",
        ] {
            let err = toml::from_str::<ProviderSettings>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("unknown field"), "{bad}: {err}");
        }
    }
}

//! What `init` writes into a repository: a harvest config that selects
//! scenarios of the built-in catalogue, with the lanes and layout asked
//! for, and the pins the catalogue was harvested with.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use crate::harvest::builtin;
use crate::harvest::config::{HarvestConfig, laid_out};
use crate::harvest::layout::Layout;

/// What the repository asks of `init`.
pub struct Request {
    /// Built-in scenarios by name; empty: every one that has a lane recorded.
    pub scenarios: Vec<String>,
    /// The lanes recorded; empty: all.
    pub lanes: Vec<String>,
    /// A lane's directory in the fixtures tree, by lane.
    pub layout: BTreeMap<String, String>,
    /// Where the generated docs go, relative to the root.
    pub docs: String,
}

/// A file `init` writes: its path below the root and its bytes.
#[derive(Debug)]
pub struct NewFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The files of a new project, checked: the config they make loads.
pub fn files(req: &Request) -> Result<Vec<NewFile>> {
    let catalogue =
        HarvestConfig::parse(builtin::harvest_toml()).context("the built-in catalogue")?;
    let lanes = (!req.lanes.is_empty()).then_some(req.lanes.as_slice());
    let layout = Layout::parse(lanes, &req.layout)?;
    let names: Vec<String> = if req.scenarios.is_empty() {
        catalogue
            .scenarios
            .iter()
            .filter(|s| laid_out((*s).clone(), &layout).is_ok())
            .map(|s| s.name.clone())
            .collect()
    } else {
        req.scenarios.clone()
    };
    let text = render(req, &catalogue.model, &names)?;
    HarvestConfig::parse(&text).context("the config/harvest.toml init would write")?;
    let mut files = vec![NewFile {
        path: "config/harvest.toml".into(),
        bytes: text.into_bytes(),
    }];
    files.extend(builtin::pins().map(|(path, bytes)| NewFile {
        path: path.into(),
        bytes: bytes.to_vec(),
    }));
    Ok(files)
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn render(req: &Request, model: &str, names: &[String]) -> Result<String> {
    let table: toml::Table = toml::from_str(builtin::harvest_toml())?;
    let timeout = table
        .get("timeout_secs")
        .and_then(toml::Value::as_integer)
        .context("the built-in catalogue sets timeout_secs")?;
    let mut out = format!(
        "# A codex-harvest project, made by `codex-harvest init` (codex-harvest {}).
# `builtin` selects scenarios of the catalogue that ships with codex-harvest:
# their modules, model scripts, normalisation rules and secret patterns come
# with the tool and move with its version (`codex-harvest init --help` lists
# them). A scenario of the project's own is a [[scenario]] table, with its
# module in integration/harvest_scenarios/<name>.py and its model script in
# integration/scripts/<name>.json.
model = {}
timeout_secs = {timeout}
# Where harvest writes the generated reports.
docs = {}
",
        env!("CARGO_PKG_VERSION"),
        quoted(model),
        quoted(&req.docs)
    );
    if !req.lanes.is_empty() {
        let lanes: Vec<String> = req.lanes.iter().map(|l| quoted(l)).collect();
        out.push_str(&format!(
            "# The lanes recorded: python (the Python SDK's events), wire (its JSON-RPC\n# with codex app-server), exec (`codex exec --json`), typescript (the\n# TypeScript SDK's events).\nlanes = [{}]\n",
            lanes.join(", ")
        ));
    }
    out.push_str("builtin = [\n");
    for n in names {
        out.push_str(&format!("    {},\n", quoted(n)));
    }
    out.push_str("]\n");
    if !req.layout.is_empty() {
        out.push_str(
            "\n# Each lane's directory in the fixtures tree (integration/fixtures/), where it\n# is not the lane's name.\n[layout]\n",
        );
        for (lane, dir) in &req.layout {
            out.push_str(&format!("{lane} = {}\n", quoted(dir)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(scenarios: &[&str], lanes: &[&str], layout: &[(&str, &str)]) -> Request {
        Request {
            scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
            lanes: lanes.iter().map(|s| s.to_string()).collect(),
            layout: layout
                .iter()
                .map(|(l, d)| (l.to_string(), d.to_string()))
                .collect(),
            docs: "docs/codex-harvest".into(),
        }
    }

    fn config(files: &[NewFile]) -> HarvestConfig {
        HarvestConfig::parse(std::str::from_utf8(&files[0].bytes).unwrap()).unwrap()
    }

    #[test]
    fn every_scenario_with_a_recorded_lane_by_default() {
        let files = files(&request(&[], &["exec"], &[("exec", "python")])).unwrap();
        let config = config(&files);
        let catalogue = HarvestConfig::parse(builtin::harvest_toml()).unwrap();
        let with_exec: Vec<&str> = catalogue
            .scenarios
            .iter()
            .filter(|s| s.exec.is_some())
            .map(|s| s.name.as_str())
            .collect();
        let names: Vec<&str> = config.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, with_exec);
        assert_eq!(config.docs.as_deref(), Some("docs/codex-harvest"));
        assert!(
            config
                .scenarios
                .iter()
                .flat_map(|s| s.all_outputs())
                .all(|p| p.as_str().starts_with("python/"))
        );
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "config/harvest.toml",
                "config/native.exs",
                "config/pylock.toml",
                "config/typescript/.npmrc",
                "config/typescript/package-lock.json",
                "config/typescript/package.json"
            ]
        );
    }

    #[test]
    fn a_named_scenario_without_the_lanes_is_refused_before_anything_is_written() {
        let err = files(&request(&["thread_auto_run_pending"], &["exec"], &[])).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("has none of the lanes this project records (exec)"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            files(&request(&["thread_nothing"], &[], &[])).unwrap_err()
        );
        assert!(
            err.contains("no scenario named \"thread_nothing\""),
            "{err}"
        );
        let mut outside = request(&["thread_basic"], &[], &[]);
        outside.docs = "../elsewhere".into();
        let err = format!("{:#}", files(&outside).unwrap_err());
        assert!(
            err.contains("docs = \"../elsewhere\": the generated reports' directory"),
            "{err}"
        );
    }
}

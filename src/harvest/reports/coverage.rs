//! `docs/coverage.md` (and `coverage --format json`): every kind of message
//! a client of codex can be sent, as codex's own schema and the TypeScript
//! SDK's types list them, with the scenarios and lanes whose fixtures show
//! it, or why none can (`config/coverage.toml`), or that none does yet; for
//! the main pin, and per codex of the version matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codex::protocol::{ExecTypes, ProtocolTypes};
use crate::engine::tree::Tree;
use crate::harvest::config::HarvestConfig;
use crate::harvest::reports::consumer_map::{self, ConsumerMap};

/// How many scenarios a row names before it says how many more.
const SHOWN_SCENARIOS: usize = 3;

/// The kinds of message, as `config/coverage.toml` and the report name them.
const SECTIONS: [(&str, &str); 6] = [
    ("items", "App-server item types (`ThreadItem`)"),
    (
        "notifications",
        "Server notifications (`ServerNotification`)",
    ),
    (
        "server_requests",
        "Server requests, which the client answers (`ServerRequest`)",
    ),
    ("client_requests", "Client requests (`ClientRequest`)"),
    (
        "exec_items",
        "Exec and TypeScript SDK item types (`ThreadItem` of `@openai/codex-sdk`)",
    ),
    (
        "exec_events",
        "Exec and TypeScript SDK event types (`ThreadEvent`)",
    ),
];

/// `config/coverage.toml`: per section, why no scenario can show a type
/// (offline, through the lanes' clients).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhyNot {
    #[serde(default)]
    why_not: BTreeMap<String, BTreeMap<String, String>>,
    /// A consuming SDK's hand-written fixtures, mapped to ours.
    #[serde(default)]
    consumer: Option<ConsumerMap>,
}

impl WhyNot {
    /// The consuming SDK's map, if the file has one.
    pub fn consumer(&self) -> Option<&ConsumerMap> {
        self.consumer.as_ref()
    }

    pub fn parse(text: &str) -> Result<WhyNot> {
        let why: WhyNot = toml::from_str(text)?;
        for section in why.why_not.keys() {
            if !SECTIONS.iter().any(|(key, _)| key == section) {
                let known: Vec<&str> = SECTIONS.iter().map(|(k, _)| *k).collect();
                bail!(
                    "[why_not.{section}] is no section; known: {}",
                    known.join(", ")
                );
            }
        }
        Ok(why)
    }
}

/// One codex's schema and committed tree.
pub struct Version<'a> {
    pub version: String,
    pub types: ProtocolTypes,
    pub tree: &'a Tree,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The main pin's version, then the matrix, oldest first.
    pub versions: Vec<String>,
    pub sections: Vec<Section>,
    /// A consuming SDK's fixtures and ours that show each.
    pub consumer: Option<ConsumerMap>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub key: String,
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    /// The scenarios of the main pin's tree that show it, with their lanes.
    pub shown_by: BTreeMap<String, BTreeSet<String>>,
    /// Why no scenario can, where none does.
    pub why_not: Option<String>,
    /// Per version of `versions`: `shown`, `not shown`, or `absent` (that
    /// codex's schema has no such type).
    pub by_version: Vec<&'static str>,
}

/// What each tree shows: per section and type, the scenarios and lanes.
type Seen = BTreeMap<(&'static str, String), BTreeMap<String, BTreeSet<String>>>;

/// The report over `versions` (the main pin's first).
pub fn compare(
    config: &HarvestConfig,
    versions: &[Version],
    exec: &ExecTypes,
    why: &WhyNot,
) -> Result<Coverage> {
    let seen: Vec<Seen> = versions.iter().map(|v| seen_in(config, v.tree)).collect();
    let mut sections = Vec::new();
    for (key, title) in SECTIONS {
        let mut names: Vec<String> = Vec::new();
        for v in versions {
            for n in listed(v, exec, key) {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        let reasons = why.why_not.get(key);
        let rows = names
            .into_iter()
            .map(|name| {
                let shown_by = seen[0].get(&(key, name.clone())).cloned().unwrap_or_default();
                let why_not = reasons.and_then(|r| r.get(&name)).cloned();
                if why_not.is_some() && !shown_by.is_empty() {
                    bail!(
                        "config/coverage.toml says why {name} ({key}) cannot be shown, but {} shows it: remove the reason",
                        shown_by.keys().next().map(String::as_str).unwrap_or_default()
                    );
                }
                let by_version = versions
                    .iter()
                    .zip(&seen)
                    .map(|(v, s)| match (listed(v, exec, key).contains(&name), s.contains_key(&(key, name.clone()))) {
                        (_, true) => "shown",
                        (true, false) => "not shown",
                        (false, false) => "absent",
                    })
                    .collect();
                Ok(Row { name, shown_by, why_not, by_version })
            })
            .collect::<Result<_>>()?;
        sections.push(Section {
            key: key.to_string(),
            title: title.to_string(),
            rows,
        });
    }
    let consumer = match (&why.consumer, versions.first()) {
        (Some(map), Some(main)) => Some(map.clone().checked(main.tree)?),
        _ => None,
    };
    Ok(Coverage {
        versions: versions.iter().map(|v| v.version.clone()).collect(),
        sections,
        consumer,
    })
}

/// The message types `new`'s schema lists and `old`'s does not, that no
/// fixture of `tree` shows: what a bump to `new` adds for scenarios to
/// reach, as `section: type`.
pub fn unshown_additions(
    config: &HarvestConfig,
    old: &ProtocolTypes,
    new: &ProtocolTypes,
    tree: &Tree,
) -> Vec<String> {
    let seen = seen_in(config, tree);
    let exec = ExecTypes::default();
    let (old, new) = (
        Version {
            version: String::new(),
            types: old.clone(),
            tree,
        },
        Version {
            version: String::new(),
            types: new.clone(),
            tree,
        },
    );
    let mut out = Vec::new();
    for (key, _) in SECTIONS.iter().filter(|(k, _)| !k.starts_with("exec")) {
        for name in listed(&new, &exec, key) {
            let added = !listed(&old, &exec, key).contains(name);
            if added && !seen.contains_key(&(*key, name.clone())) {
                out.push(format!("{key}: {name}"));
            }
        }
    }
    out
}

/// The types of section `key` that version `v`'s schema (or, for the exec
/// sections, the TypeScript SDK) lists.
fn listed<'a>(v: &'a Version, exec: &'a ExecTypes, key: &str) -> &'a [String] {
    match key {
        "items" => &v.types.items,
        "notifications" => &v.types.notifications,
        "server_requests" => &v.types.server_requests,
        "client_requests" => &v.types.client_requests,
        "exec_items" => &exec.items,
        _ => &exec.events,
    }
}

/// Every type a tree's fixtures show, by the scenario that produced each
/// file and the file's lane.
fn seen_in(config: &HarvestConfig, tree: &Tree) -> Seen {
    let mut seen = Seen::new();
    for (path, bytes) in tree {
        if !path.ends_with(".jsonl") {
            continue;
        }
        let Some(scenario) = config.scenarios.iter().find(|s| s.produces(path)) else {
            continue;
        };
        let lane = path.split('/').next().unwrap_or_default();
        let text = String::from_utf8_lossy(bytes);
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            for (section, name) in kinds(lane, &v) {
                seen.entry((section, name))
                    .or_default()
                    .entry(scenario.name.clone())
                    .or_default()
                    .insert(lane.to_string());
            }
        }
    }
    seen
}

/// The kinds of message one fixture line of `lane` is.
fn kinds(lane: &str, v: &Value) -> Vec<(&'static str, String)> {
    let text = |x: &Value| x.as_str().map(str::to_string);
    let mut out = Vec::new();
    match lane {
        "wire" => {
            let msg = &v["msg"];
            let (Some(method), dir) = (text(&msg["method"]), v["dir"].as_str()) else {
                return out;
            };
            let request = msg.get("id").is_some();
            match (dir, request) {
                (Some("s2c"), true) => out.push(("server_requests", method)),
                (Some("s2c"), false) => {
                    out.extend(text(&msg["params"]["item"]["type"]).map(|t| ("items", t)));
                    out.push(("notifications", method));
                }
                (Some("c2s"), true) => out.push(("client_requests", method)),
                _ => {}
            }
        }
        "python" => {
            if let Some(method) = text(&v["approval_handler"]["method"]) {
                out.push(("server_requests", method));
            } else if let Some(method) = text(&v["method"]) {
                out.extend(text(&v["params"]["item"]["type"]).map(|t| ("items", t)));
                out.push(("notifications", method));
            }
        }
        _ => {
            out.extend(text(&v["item"]["type"]).map(|t| ("exec_items", t)));
            out.extend(text(&v["type"]).map(|t| ("exec_events", t)));
        }
    }
    out
}

/// `docs/coverage.md`.
pub fn render(coverage: &Coverage) -> String {
    let mut out = String::new();
    let main = &coverage.versions[0];
    let _ = writeln!(
        out,
        "# Coverage\n\n\
         Generated by `codex-harvest harvest` from the schema each codex generates \
         (`codex app-server generate-json-schema`), the pinned TypeScript SDK's type \
         declarations and the committed fixtures; `codex-harvest check` fails when it is out \
         of date; do not edit it by hand. Why no scenario can show a type (offline, \
         through the SDKs' clients) is `config/coverage.toml`'s. The same data: \
         `codex-harvest coverage --format json`.\n"
    );
    let _ = writeln!(
        out,
        "## Summary (codex {main}, the main pin)\n\n| kind | in the schema | shown | cannot be shown, with the reason | not shown yet |\n| --- | --- | --- | --- | --- |"
    );
    for s in &coverage.sections {
        let listed: Vec<&Row> = s
            .rows
            .iter()
            .filter(|r| r.by_version[0] != "absent")
            .collect();
        let shown = listed.iter().filter(|r| !r.shown_by.is_empty()).count();
        let why = listed.iter().filter(|r| r.why_not.is_some()).count();
        let _ = writeln!(
            out,
            "| {} | {} | {shown} | {why} | {} |",
            s.title,
            listed.len(),
            listed.len() - shown - why
        );
    }
    for s in &coverage.sections {
        section(&mut out, coverage, s);
    }
    if let Some(map) = &coverage.consumer {
        consumer_map::render(&mut out, map);
    }
    out
}

/// One section's table: each type, who shows it in the main pin's tree,
/// and each version's state.
fn section(out: &mut String, coverage: &Coverage, s: &Section) {
    let _ = writeln!(
        out,
        "\n## {}\n\nIn each codex's column: `✓` shown, `·` in that codex's schema and not shown, `—` not in it.\n\n| type | shown by (codex {}) | {} |\n| --- | --- |{}",
        s.title,
        coverage.versions[0],
        coverage.versions.join(" | "),
        " --- |".repeat(coverage.versions.len())
    );
    for row in &s.rows {
        let cells: Vec<&str> = row
            .by_version
            .iter()
            .map(|state| match *state {
                "shown" => "✓",
                "not shown" => "·",
                _ => "—",
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            row.name,
            shown_by(row),
            cells.join(" | ")
        );
    }
}

/// A row's "shown by": scenarios with their lanes, or why not.
fn shown_by(row: &Row) -> String {
    if row.shown_by.is_empty() {
        return match &row.why_not {
            Some(why) => format!("cannot be shown: {why}"),
            None => "not shown yet".to_string(),
        };
    }
    let mut named: Vec<String> = row
        .shown_by
        .iter()
        .take(SHOWN_SCENARIOS)
        .map(|(scenario, lanes)| {
            format!(
                "`{scenario}` ({})",
                lanes.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    if row.shown_by.len() > SHOWN_SCENARIOS {
        named.push(format!("and {} more", row.shown_by.len() - SHOWN_SCENARIOS));
    }
    named.join("; ")
}

/// Reads `config/coverage.toml`, where there is one.
pub fn why_not(path: &std::path::Path) -> Result<WhyNot> {
    match std::fs::read_to_string(path) {
        Ok(text) => WhyNot::parse(&text).with_context(|| format!("in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WhyNot::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_kinds_of_message_it_is() {
        let wire_request =
            serde_json::json!({"dir": "s2c", "msg": {"id": 0, "method": "item/tool/call"}});
        assert_eq!(
            kinds("wire", &wire_request),
            [("server_requests", "item/tool/call".to_string())]
        );
        let started = serde_json::json!({"dir": "s2c", "msg": {"method": "item/started", "params": {"item": {"type": "fileChange"}}}});
        assert_eq!(
            kinds("wire", &started),
            [
                ("items", "fileChange".to_string()),
                ("notifications", "item/started".to_string())
            ]
        );
        let answer = serde_json::json!({"dir": "c2s", "msg": {"id": 0, "result": {}}});
        assert!(kinds("wire", &answer).is_empty());
        let handler =
            serde_json::json!({"approval_handler": {"method": "item/tool/requestUserInput"}});
        assert_eq!(
            kinds("python", &handler),
            [("server_requests", "item/tool/requestUserInput".to_string())]
        );
        let exec = serde_json::json!({"type": "item.completed", "item": {"type": "todo_list"}});
        assert_eq!(
            kinds("exec", &exec),
            [
                ("exec_items", "todo_list".to_string()),
                ("exec_events", "item.completed".to_string())
            ]
        );
    }

    #[test]
    fn a_reason_for_no_such_section_is_refused() {
        let err = WhyNot::parse("[why_not.itemz]\nx = \"y\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("[why_not.itemz] is no section"), "{err}");
        assert!(WhyNot::parse("[why_not.items]\nsleep = \"why\"\n").is_ok());
    }
}

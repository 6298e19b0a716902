//! The compatibility report over the version matrix: per scenario and codex
//! version, whether its fixtures are the same as the previous version's or
//! what changed, which lanes failed and how, and per event field the first
//! version that emits it (the last, for one that went away), per lane. Pure:
//! it reads trees; events are named by the reader it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::codex::pins::matrix::compare_versions;
use crate::engine::compare::{self, EventReader};
use crate::engine::fixture_path::{MANIFEST_FILE, PROVENANCE_FILE};
use crate::engine::tree::Tree;
use crate::harvest::config::{HarvestConfig, LANE_DIRS};

/// How many changed field paths a cell names.
const MAX_FIELDS: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compat {
    /// Oldest first.
    pub versions: Vec<String>,
    /// The main pin's version (`config/native.exs`).
    pub main: String,
    pub scenarios: Vec<ScenarioRow>,
    pub fields: Vec<FieldSpan>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRow {
    pub scenario: String,
    /// One per version, in `versions`' order.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub version: String,
    pub state: State,
    /// Per file that differs from the previous version's: what changed.
    pub changed: Vec<FileChange>,
    /// Per lane that failed: the failure's telling line.
    pub failed: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The oldest version: what the others are compared with.
    Baseline,
    Same,
    Changed,
    /// The tree has no record of the scenario.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileChange {
    pub path: String,
    /// `changed`, `new` (no such file in the previous version) or `gone`.
    pub how: &'static str,
    /// Events that differ.
    pub events: usize,
    /// The JSON fields that differ, as `event: path`, the first few.
    pub fields: Vec<String>,
}

/// An event field that not every version emits where the event occurs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSpan {
    pub lane: String,
    pub event: String,
    pub field: String,
    pub first: String,
    /// The last version that emits it, when a later one emits the event
    /// without it.
    pub last: Option<String>,
    /// The versions whose fixtures have the event without the field.
    pub without: Vec<String>,
}

/// The report over `trees` (version, tree), of which `main` is the main pin.
pub fn compare(
    config: &HarvestConfig,
    mut trees: Vec<(String, Tree)>,
    main: &str,
    read: EventReader,
) -> Compat {
    trees.sort_by(|a, b| compare_versions(&a.0, &b.0));
    let versions: Vec<String> = trees.iter().map(|(v, _)| v.clone()).collect();
    let scenarios = config
        .scenarios
        .iter()
        .map(|s| {
            let files = |tree: &Tree| -> Tree {
                tree.iter()
                    .filter(|(p, _)| s.produces(p))
                    .map(|(p, b)| (p.clone(), b.clone()))
                    .collect()
            };
            let mut previous: Option<(&str, Tree)> = None;
            let cells = trees
                .iter()
                .map(|(version, tree)| {
                    let mine = files(tree);
                    let failed: BTreeMap<String, String> = LANE_DIRS
                        .iter()
                        .filter_map(|lane| {
                            let text = mine.get(&s.failure_output(lane))?;
                            Some((lane.to_string(), telling_line(text)))
                        })
                        .collect();
                    let (state, changed) = match (&previous, mine.is_empty()) {
                        (_, true) => (State::Absent, Vec::new()),
                        (None, false) => (State::Baseline, Vec::new()),
                        (Some((was, before)), false) => {
                            let changed = changes(&mine, before, (was, version), read);
                            match changed.is_empty() {
                                true => (State::Same, changed),
                                false => (State::Changed, changed),
                            }
                        }
                    };
                    if !mine.is_empty() {
                        previous = Some((version, mine));
                    }
                    Cell {
                        version: version.clone(),
                        state,
                        changed,
                        failed,
                    }
                })
                .collect();
            ScenarioRow {
                scenario: s.name.clone(),
                cells,
            }
        })
        .collect();
    Compat {
        fields: field_spans(&trees, read),
        versions,
        main: main.to_string(),
        scenarios,
    }
}

/// What `now` (codex `versions.1`) changes of `before` (codex
/// `versions.0`), file by file. A value that differs only by the version
/// it names (`cliVersion`, `userAgent`) is no change.
fn changes(
    now: &Tree,
    before: &Tree,
    versions: (&str, &str),
    read: EventReader,
) -> Vec<FileChange> {
    let mut drift = compare::compare(now, before, read);
    for f in &mut drift.changed {
        f.differences.retain(|d| {
            d.fields.is_empty() || !d.fields.iter().all(|c| names_its_version(c, versions))
        });
    }
    drift
        .changed
        .retain(|f| !f.differences.is_empty() || f.more > 0);
    let mut out: Vec<FileChange> = drift
        .changed
        .iter()
        .map(|f| {
            let mut fields: Vec<String> = Vec::new();
            for d in &f.differences {
                for c in &d.fields {
                    let named = format!("{}: {}", d.event.as_deref().unwrap_or("?"), c.path);
                    if !fields.contains(&named) {
                        fields.push(named);
                    }
                }
            }
            fields.truncate(MAX_FIELDS);
            FileChange {
                path: f.path.clone(),
                how: "changed",
                events: f.differences.len() + f.more,
                fields,
            }
        })
        .collect();
    let whole = |path: &String, how| FileChange {
        path: path.clone(),
        how,
        events: 0,
        fields: Vec::new(),
    };
    out.extend(drift.missing.iter().map(|p| whole(p, "new")));
    out.extend(drift.extra.iter().map(|p| whole(p, "gone")));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Whether `change` is a string that names the version it was recorded
/// with and is otherwise the same.
fn names_its_version(change: &compare::FieldChange, (old, new): (&str, &str)) -> bool {
    match (&change.committed, &change.regenerated) {
        (Some(Value::String(was)), Some(Value::String(is))) => {
            was.contains(old) && was.replace(old, "\0") == is.replace(new, "\0")
        }
        _ => false,
    }
}

/// The line of a recorded failure that says what went wrong: the last
/// exception a Python traceback names, else the first `error:` line (a
/// command's usage error), else the innermost cause (the last line that
/// is not quoted output).
fn telling_line(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let innermost = text
        .lines()
        .rfind(|l| !l.is_empty() && !l.starts_with(' '))
        .unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let exception = |l: &&&str| {
        l.split_once(": ").is_some_and(|(name, _)| {
            !name.contains(' ') && (name.ends_with("Error") || name.ends_with("Exception"))
        })
    };
    lines
        .iter()
        .rev()
        .find(exception)
        .or_else(|| lines.iter().find(|l| l.starts_with("error:")))
        .map_or_else(|| innermost.to_string(), |l| l.to_string())
}

/// Every (lane, event, field) that some version's fixtures have the event
/// without: where it first and last appears.
fn field_spans(trees: &[(String, Tree)], read: EventReader) -> Vec<FieldSpan> {
    // (lane, event) -> versions that have the event; (lane, event, field) ->
    // versions that emit the field.
    let mut events: BTreeMap<(String, String), BTreeSet<usize>> = BTreeMap::new();
    let mut fields: BTreeMap<(String, String, String), BTreeSet<usize>> = BTreeMap::new();
    for (i, (_, tree)) in trees.iter().enumerate() {
        for (path, bytes) in tree {
            let Some(lane) = event_stream_lane(path) else {
                continue;
            };
            for line in String::from_utf8_lossy(bytes).lines() {
                let Ok(value) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let key = read(&value);
                let event = match (&key.name, &key.item_type) {
                    (Some(n), Some(t)) => format!("{n} ({t})"),
                    (Some(n), None) => n.clone(),
                    (None, _) => continue,
                };
                events
                    .entry((lane.to_string(), event.clone()))
                    .or_default()
                    .insert(i);
                let mut paths = BTreeSet::new();
                field_paths(&value, "", &mut paths);
                for p in paths {
                    fields
                        .entry((lane.to_string(), event.clone(), p))
                        .or_default()
                        .insert(i);
                }
            }
        }
    }
    fields
        .into_iter()
        .filter_map(|((lane, event, field), emitting)| {
            let seen = &events[&(lane.clone(), event.clone())];
            let without: Vec<String> = seen
                .difference(&emitting)
                .map(|i| trees[*i].0.clone())
                .collect();
            if without.is_empty() {
                return None;
            }
            let (first, last) = (*emitting.first()?, *emitting.last()?);
            let removed = seen.last().is_some_and(|l| *l > last);
            Some(FieldSpan {
                lane,
                event,
                field,
                first: trees[first].0.clone(),
                last: removed.then(|| trees[last].0.clone()),
                without,
            })
        })
        .collect()
}

/// The lane of an event stream of the tree (`python/…jsonl`), `None` for
/// the manifest, provenance, exec command lines and failure records.
fn event_stream_lane(path: &str) -> Option<&str> {
    if path == MANIFEST_FILE || path == PROVENANCE_FILE || !path.ends_with(".jsonl") {
        return None;
    }
    path.split('/').next()
}

/// Every object key path under `value` (`params.item.startedAtMs`; array
/// elements as `[]`).
fn field_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = match prefix {
                    "" => k.clone(),
                    _ => format!("{prefix}.{k}"),
                };
                out.insert(path.clone());
                field_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                field_paths(v, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// `docs/codex-compat.md`.
pub fn render(compat: &Compat) -> String {
    let mut out = String::new();
    let versions = &compat.versions;
    let label = |v: &String| match *v == compat.main {
        true => format!("{v} (pin)"),
        false => v.clone(),
    };
    let _ = writeln!(
        out,
        "# Codex compatibility\n\n\
         Generated by `codex-harvest harvest` from the fixtures of every codex the project \
         harvests: the main pin (`config/native.exs`, `integration/fixtures/`) and the version \
         matrix (`config/matrix/`, `integration/matrix/codex-<version>/`), with the SDKs as \
         pinned. `codex-harvest check` fails when it is out of date; do not edit it by hand. \
         The same data: `codex-harvest compat --format json`.\n\n\
         Versions, oldest first: {}.\n",
        versions.iter().map(label).collect::<Vec<_>>().join(", ")
    );
    scenarios_by_version(&mut out, compat, &label);
    what_changed(&mut out, compat);
    failures(&mut out, compat);
    uneven_fields(&mut out, compat);
    out
}

/// The table of scenarios by version.
fn scenarios_by_version(out: &mut String, compat: &Compat, label: &dyn Fn(&String) -> String) {
    let versions = &compat.versions;
    let _ = writeln!(
        out,
        "## Scenarios by version\n\n\
         Each cell compares the scenario's fixtures with the previous version's: `same`, \
         `changed` (below, what), or the lanes that `fail` (below, with codex's own words).\n"
    );
    let _ = writeln!(
        out,
        "| scenario | {} |\n| --- |{}",
        versions.iter().map(label).collect::<Vec<_>>().join(" | "),
        " --- |".repeat(versions.len())
    );
    for row in &compat.scenarios {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| {
                let state = match c.state {
                    State::Baseline => "baseline",
                    State::Same => "same",
                    State::Changed => "changed",
                    State::Absent => "—",
                };
                match c.failed.is_empty() {
                    true => state.to_string(),
                    false => format!(
                        "{state}; fails: {}",
                        c.failed.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                }
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", row.scenario, cells.join(" | "));
    }
}

/// What changed, scenario by scenario and version by version.
fn what_changed(out: &mut String, compat: &Compat) {
    let _ = writeln!(out, "\n## What changed\n");
    let mut any = false;
    for row in &compat.scenarios {
        for c in row.cells.iter().filter(|c| !c.changed.is_empty()) {
            any = true;
            let _ = writeln!(out, "- **{}**, codex {}:", row.scenario, c.version);
            for f in &c.changed {
                let what = match f.how {
                    "changed" => format!("{} event(s) differ", f.events),
                    how => how.to_string(),
                };
                let fields = match f.fields.is_empty() {
                    true => String::new(),
                    false => format!(
                        " ({})",
                        f.fields
                            .iter()
                            .map(|x| format!("`{x}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let _ = writeln!(out, "  - `{}`: {what}{fields}", f.path);
            }
        }
    }
    if !any {
        let _ = writeln!(out, "Nothing: every scenario is the same in every version.");
    }
}

/// Each failing lane, in codex's own words.
fn failures(out: &mut String, compat: &Compat) {
    let _ = writeln!(out, "\n## Failures\n");
    let failures: Vec<String> = compat
        .scenarios
        .iter()
        .flat_map(|row| {
            row.cells.iter().flat_map(move |c| {
                c.failed.iter().map(move |(lane, line)| {
                    format!(
                        "- **{}**, codex {}, {lane} lane: `{}`",
                        row.scenario,
                        c.version,
                        line.replace('`', "'")
                    )
                })
            })
        })
        .collect();
    match failures.is_empty() {
        true => {
            let _ = writeln!(out, "None: every codex runs every scenario.");
        }
        false => {
            let _ = writeln!(
                out,
                "The whole record is `<lane>/<scenario>.failed` in that version's tree.\n\n{}",
                failures.join("\n")
            );
        }
    }
}

/// The fields that some version emits and another does not.
fn uneven_fields(out: &mut String, compat: &Compat) {
    let _ = writeln!(
        out,
        "\n## Fields not every codex emits\n\n\
         Per lane and event, each field that some version's fixtures have the event without: \
         the first version that emits it, the last (when a later one no longer does), and the \
         versions without it.\n"
    );
    match compat.fields.is_empty() {
        true => {
            let _ = writeln!(out, "None.");
        }
        false => {
            let _ = writeln!(
                out,
                "| lane | event | field | first | last | without |\n| --- | --- | --- | --- | --- | --- |"
            );
            for f in &compat.fields {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} | {} | {} |",
                    f.lane,
                    f.event,
                    f.field,
                    f.first,
                    f.last.as_deref().unwrap_or(""),
                    f.without.join(", ")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::EventKey;

    fn read(v: &Value) -> EventKey {
        EventKey {
            name: v.get("method").and_then(Value::as_str).map(str::to_string),
            item_type: None,
            item_id: None,
        }
    }

    fn config() -> HarvestConfig {
        HarvestConfig::parse(
            "model = \"m\"\ntimeout_secs = 5\n[[scenario]]\nname = \"a\"\nabout = \"x\"\noutputs = [\"python/a.jsonl\"]\n",
        )
        .unwrap()
    }

    fn tree(lines: &str) -> Tree {
        Tree::from([("python/a.jsonl".to_string(), lines.as_bytes().to_vec())])
    }

    #[test]
    fn a_field_is_dated_by_the_versions_that_emit_it_and_cells_say_what_changed() {
        let old = tree("{\"method\":\"item/started\",\"params\":{\"id\":1}}\n");
        let new = tree("{\"method\":\"item/started\",\"params\":{\"id\":1,\"startedAtMs\":0}}\n");
        let failed = Tree::from([(
            "python/a.failed".to_string(),
            b"record() failed\n  ValueError: too old\n".to_vec(),
        )]);
        let c = compare(
            &config(),
            vec![
                ("0.170.0".into(), new.clone()),
                ("0.99.0".into(), failed),
                ("0.144.4".into(), old.clone()),
                ("0.160.1".into(), old),
                ("0.169.0".into(), new),
            ],
            "0.160.1",
            read,
        );
        assert_eq!(
            c.versions,
            ["0.99.0", "0.144.4", "0.160.1", "0.169.0", "0.170.0"]
        );
        let states: Vec<State> = c.scenarios[0].cells.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [
                State::Baseline,
                State::Changed,
                State::Same,
                State::Changed,
                State::Same
            ]
        );
        assert_eq!(
            c.scenarios[0].cells[0].failed["python"],
            "ValueError: too old"
        );
        let change = &c.scenarios[0].cells[3].changed[0];
        assert_eq!(change.fields, ["item/started: params.startedAtMs"]);
        assert_eq!(
            c.fields,
            [FieldSpan {
                lane: "python".into(),
                event: "item/started".into(),
                field: "params.startedAtMs".into(),
                first: "0.169.0".into(),
                last: None,
                without: vec!["0.144.4".into(), "0.160.1".into()],
            }]
        );
        let md = render(&c);
        assert!(
            md.contains("| a | baseline; fails: python | changed | same | changed | same |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| python | item/started | `params.startedAtMs` | 0.169.0 |  | 0.144.4, 0.160.1 |"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_field_that_goes_away_has_a_last_version() {
        let with = tree("{\"method\":\"m\",\"params\":{\"gone\":1}}\n");
        let without = tree("{\"method\":\"m\",\"params\":{}}\n");
        let c = compare(
            &config(),
            vec![("1.0.0".into(), with), ("2.0.0".into(), without)],
            "1.0.0",
            read,
        );
        assert_eq!(c.fields[0].field, "params.gone");
        assert_eq!(c.fields[0].last.as_deref(), Some("1.0.0"));
    }
}

//! `audit`: a repository's own fixtures held against what codex really
//! sends. Each of its files is matched to a fixture of ours (by the map of
//! `[consumer]` in `config/coverage.toml` or one given, else by file name,
//! the exec lane first, as an exec client reads it) and compared by shape:
//! the event types and fields it has that real codex never sends, the ones
//! real codex sends that it lacks, and values that look invented where
//! codex sends an id (ours a normalised UUID).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::codex::wire::canonical::is_uuid;
use crate::engine::tree::Tree;
use crate::harvest::events;
use crate::harvest::reports::consumer_map::ConsumerMap;

/// The lanes a file is looked up in by name, in order: what an exec
/// client reads first.
const LANES: [&str; 3] = ["exec", "typescript", "python"];

/// What the audit found of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileAudit {
    pub file: String,
    /// The fixture of ours it was held against, if any.
    pub against: Option<String>,
    /// Why no fixture of real codex can answer it (the map's word).
    pub why_not: Option<String>,
    /// Event types, and fields of an event type, real codex never sends.
    pub never_sent: Vec<String>,
    /// Event types, and fields of an event type, real codex sends that the
    /// file lacks.
    pub lacks: Vec<String>,
    /// Fields where codex sends an id and the file a value of its own.
    pub invented: Vec<String>,
    /// Lines that are not JSON objects.
    pub unreadable: Vec<usize>,
}

impl FileAudit {
    pub fn is_clean(&self) -> bool {
        self.against.is_some()
            && self.never_sent.is_empty()
            && self.lacks.is_empty()
            && self.invented.is_empty()
            && self.unreadable.is_empty()
    }
}

/// Audits `files` (name → bytes) against `ours`, the main pin's tree.
pub fn audit(files: &Tree, ours: &Tree, map: Option<&ConsumerMap>) -> Vec<FileAudit> {
    files
        .iter()
        .filter(|(name, _)| name.ends_with(".jsonl"))
        .map(|(name, bytes)| {
            let stem = name
                .rsplit('/')
                .next()
                .unwrap_or(name)
                .trim_end_matches(".jsonl");
            let mapped = map.and_then(|m| m.fixtures.get(stem));
            let against = match mapped {
                Some(entry) => entry.fixture.clone(),
                None => LANES
                    .iter()
                    .map(|lane| format!("{lane}/{stem}.jsonl"))
                    .find(|p| ours.contains_key(p)),
            };
            let mut found = FileAudit {
                file: name.clone(),
                why_not: mapped.and_then(|e| e.why_not.clone()),
                ..FileAudit::default()
            };
            let theirs = Shape::of(bytes, &mut found.unreadable);
            if let Some(path) = &against {
                let real = Shape::of(&ours[path], &mut Vec::new());
                compare(&theirs, &real, &mut found);
            }
            found.against = against;
            found
        })
        .collect()
}

/// What a stream holds: per event type, each field path with the values
/// seen there.
#[derive(Default)]
struct Shape(BTreeMap<String, BTreeMap<String, BTreeSet<String>>>);

impl Shape {
    fn of(bytes: &[u8], unreadable: &mut Vec<usize>) -> Shape {
        let mut shape = Shape::default();
        for (i, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
            match serde_json::from_str::<Value>(line) {
                Ok(event @ Value::Object(_)) => {
                    let kind = events::name(&event).unwrap_or_else(|| "(no type)".to_string());
                    let fields = shape.0.entry(kind).or_default();
                    walk(&event, String::new(), fields);
                }
                _ if line.trim().is_empty() => {}
                _ => unreadable.push(i + 1),
            }
        }
        shape
    }
}

/// Every leaf of `v` by its path (`item.text`, arrays as `[]`).
fn walk(v: &Value, path: String, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let next = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, next, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                walk(item, format!("{path}[]"), out);
            }
        }
        leaf => {
            out.entry(path).or_default().insert(leaf.to_string());
        }
    }
}

/// A value (as JSON text) codex sends as an id, normalised: a UUID
/// placeholder.
fn is_id(value: &str) -> bool {
    is_uuid(value.trim_matches('"'))
}

fn compare(theirs: &Shape, real: &Shape, found: &mut FileAudit) {
    for (kind, fields) in &theirs.0 {
        let Some(real_fields) = real.0.get(kind) else {
            found.never_sent.push(format!("event {kind}"));
            continue;
        };
        for (path, values) in fields {
            match real_fields.get(path) {
                None => found.never_sent.push(format!("{kind}: {path}")),
                Some(real_values) => {
                    let codex_sends_ids = real_values.iter().all(|v| is_id(v));
                    if codex_sends_ids && !values.iter().all(|v| is_id(v)) {
                        let shown: Vec<&str> = values.iter().map(String::as_str).collect();
                        found.invented.push(format!(
                            "{kind}: {path} = {} (codex sends a UUID)",
                            shown.join(", ")
                        ));
                    }
                }
            }
        }
    }
    for (kind, fields) in &real.0 {
        let Some(their_fields) = theirs.0.get(kind) else {
            found.lacks.push(format!("event {kind}"));
            continue;
        };
        for path in fields.keys().filter(|p| !their_fields.contains_key(*p)) {
            found.lacks.push(format!("{kind}: {path}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_written_stream_is_held_against_what_codex_sends() {
        let ours = Tree::from([(
            "exec/thread_basic.jsonl".to_string(),
            b"{\"type\":\"thread.started\",\"thread_id\":\"00000000-0000-7000-8000-000000000001\"}\n{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10}}\n".to_vec(),
        )]);
        let theirs = Tree::from([
            (
                "thread_basic.jsonl".to_string(),
                b"{\"type\":\"thread.started\",\"thread_id\":\"thread_abc123\",\"metadata\":{}}\n{\"type\":\"item.agent_message.delta\"}\nnot json\n".to_vec(),
            ),
            ("thread_other.jsonl".to_string(), b"{}\n".to_vec()),
        ]);
        let found = audit(&theirs, &ours, None);
        let basic = &found[0];
        assert_eq!(basic.against.as_deref(), Some("exec/thread_basic.jsonl"));
        assert_eq!(
            basic.never_sent,
            ["event item.agent_message.delta", "thread.started: metadata"]
        );
        assert_eq!(basic.lacks, ["event turn.completed"]);
        assert_eq!(
            basic.invented,
            ["thread.started: thread_id = \"thread_abc123\" (codex sends a UUID)"]
        );
        assert_eq!(basic.unreadable, [3]);
        assert!(!basic.is_clean());
        assert_eq!(found[1].against, None, "no fixture of ours by that name");
        assert!(!found[1].is_clean());
        let same = audit(
            &Tree::from([(
                "thread_basic.jsonl".to_string(),
                ours["exec/thread_basic.jsonl"].clone(),
            )]),
            &ours,
            None,
        );
        assert!(same[0].is_clean(), "{same:?}");
    }
}

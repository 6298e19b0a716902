//! Drift between a regenerated tree and the committed one: which files
//! changed, went missing, are extra or were edited by hand, and for changed
//! event streams, which event and which JSON field. Pure: no IO.

use serde::Serialize;
use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::engine::fixture_path::MANIFEST_FILE;
use crate::engine::manifest::{Mismatch, Sha256Sums};
use crate::engine::tree::Tree;

/// How many differences to list per file (the count of the rest is kept).
const MAX_DIFFERENCES: usize = 20;

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Drift {
    pub changed: Vec<FileDrift>,
    /// Regenerated, but not committed.
    pub missing: Vec<String>,
    /// Committed, but nothing produces it.
    pub extra: Vec<String>,
    /// Committed bytes that do not match the committed SHA256SUMS.
    pub hand_edited: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.hand_edited.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDrift {
    pub path: String,
    pub differences: Vec<Difference>,
    /// Differences left out of `differences` for brevity.
    pub more: usize,
}

/// One line (event) of a file, or the whole document for `.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The 1-based line in the committed file (in the regenerated one for
    /// `missing` lines); `None` for a whole document.
    pub line: Option<usize>,
    pub kind: DifferenceKind,
    /// The event's `method` (or `type`), when the line is a JSON event.
    pub event: Option<String>,
    pub fields: Vec<FieldChange>,
    /// What the difference is when fields cannot say it (a line that is not
    /// JSON, the same JSON in other bytes).
    pub note: Option<String>,
    /// The committed line, for lines that are not JSON or have no
    /// regenerated counterpart.
    pub committed_text: Option<String>,
    /// The regenerated line, likewise.
    pub regenerated_text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// The line differs from its regenerated counterpart.
    Changed,
    /// Regenerated has a line the committed file lacks.
    Missing,
    /// The committed file has a line regenerated lacks.
    Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// `params.item.text`, `params.items[2].id`; empty for the root.
    pub path: String,
    pub committed: Option<Value>,
    pub regenerated: Option<Value>,
}

/// Compares `regenerated` with `committed`, event lines paired and named
/// as `read` reads them.
pub fn compare(regenerated: &Tree, committed: &Tree, read: EventReader) -> Drift {
    let mut drift = Drift::default();
    for (path, new) in regenerated {
        match committed.get(path) {
            None => drift.missing.push(path.clone()),
            Some(old) if old != new => drift.changed.push(file_drift(read, path, old, new)),
            Some(_) => {}
        }
    }
    drift.extra = committed
        .keys()
        .filter(|p| !regenerated.contains_key(*p))
        .cloned()
        .collect();
    drift.hand_edited = hand_edited(committed);
    drift
}

/// Only the hand edits of `committed`: what can be said of a tree that
/// cannot be regenerated against (its provenance unreadable).
pub fn hand_edits(committed: &Tree) -> Drift {
    Drift {
        hand_edited: hand_edited(committed),
        ..Drift::default()
    }
}

/// Committed files whose bytes differ from their committed SHA256SUMS line.
fn hand_edited(committed: &Tree) -> Vec<String> {
    match Sha256Sums::from_tree(committed) {
        Ok(Some(sums)) => sums
            .verify(committed)
            .into_iter()
            .filter_map(|m| match m {
                Mismatch::Changed { path } => Some(path),
                _ => None,
            })
            .collect(),
        // An unreadable manifest is itself a hand edit.
        Err(_) => vec![MANIFEST_FILE.to_string()],
        Ok(None) => Vec::new(),
    }
}

impl Drift {
    /// Adds another comparison's findings (e.g. a file outside the tree).
    pub fn merge(&mut self, other: Drift) {
        self.changed.extend(other.changed);
        self.missing.extend(other.missing);
        self.extra.extend(other.extra);
        self.hand_edited.extend(other.hand_edited);
    }
}

fn file_drift(read: EventReader, path: &str, old: &[u8], new: &[u8]) -> FileDrift {
    let (old_text, new_text) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
    let mut differences = if path.ends_with(".json") {
        vec![document_difference(&old_text, &new_text)]
    } else {
        line_differences(read, &old_text, &new_text)
    };
    let more = differences.len().saturating_sub(MAX_DIFFERENCES);
    differences.truncate(MAX_DIFFERENCES);
    FileDrift {
        path: path.to_string(),
        differences,
        more,
    }
}

fn document_difference(old: &str, new: &str) -> Difference {
    match (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) {
        (Ok(a), Ok(b)) if a != b => Difference {
            line: None,
            kind: DifferenceKind::Changed,
            event: None,
            fields: field_changes(&a, &b),
            note: None,
            committed_text: None,
            regenerated_text: None,
        },
        // Same value, other bytes (formatting), or the committed file is not JSON.
        _ => Difference {
            line: None,
            kind: DifferenceKind::Changed,
            event: None,
            fields: Vec::new(),
            note: Some("the bytes differ (not canonical JSON)".into()),
            committed_text: None,
            regenerated_text: None,
        },
    }
}

fn line_differences(read: EventReader, old: &str, new: &str) -> Vec<Difference> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines) {
        if let DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } = op
        {
            // Lines of a replaced block are paired by what event they are,
            // not by position: an inserted event must not be reported as a
            // change of the event it pushed down.
            let old_keys: Vec<Option<EventKey>> = old_lines[old_index..old_index + old_len]
                .iter()
                .map(|l| event_key(read, l))
                .collect();
            let new_keys: Vec<Option<EventKey>> = new_lines[new_index..new_index + new_len]
                .iter()
                .map(|l| event_key(read, l))
                .collect();
            for inner in capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys) {
                report(
                    read, &mut out, inner, &old_lines, &new_lines, old_index, new_index,
                );
            }
        } else {
            report(read, &mut out, op, &old_lines, &new_lines, 0, 0);
        }
    }
    out
}

/// Adds what one diff operation says; indices are relative to `old_base`
/// and `new_base`. Equal lines (or events with the same key) that differ in
/// bytes are paired field by field.
fn report(
    read: EventReader,
    out: &mut Vec<Difference>,
    op: DiffOp,
    old_lines: &[&str],
    new_lines: &[&str],
    old_base: usize,
    new_base: usize,
) {
    let (old_range, new_range) = (op.old_range(), op.new_range());
    let old_at = |i: usize| old_base + i;
    let new_at = |i: usize| new_base + i;
    match op {
        DiffOp::Equal { .. } => {
            for (o, n) in old_range.zip(new_range) {
                if old_lines[old_at(o)] != new_lines[new_at(n)] {
                    out.push(paired_line(
                        read,
                        old_at(o),
                        old_lines[old_at(o)],
                        new_lines[new_at(n)],
                    ));
                }
            }
        }
        DiffOp::Delete { .. } => {
            for o in old_range {
                out.push(unpaired(
                    read,
                    DifferenceKind::Extra,
                    old_at(o),
                    old_lines[old_at(o)],
                ));
            }
        }
        DiffOp::Insert { .. } => {
            for n in new_range {
                out.push(unpaired(
                    read,
                    DifferenceKind::Missing,
                    new_at(n),
                    new_lines[new_at(n)],
                ));
            }
        }
        DiffOp::Replace { .. } => {
            // A line that is not JSON has no key; it is still best read as
            // the line it replaced.
            let (old_range, new_range): (Vec<usize>, Vec<usize>) =
                (old_range.collect(), new_range.collect());
            let unkeyed = |o: usize, n: usize| {
                event_key(read, old_lines[old_at(o)]).is_none()
                    || event_key(read, new_lines[new_at(n)]).is_none()
            };
            let paired = old_range
                .iter()
                .zip(&new_range)
                .take_while(|(o, n)| unkeyed(**o, **n))
                .count();
            for (o, n) in old_range.iter().zip(&new_range).take(paired) {
                out.push(paired_line(
                    read,
                    old_at(*o),
                    old_lines[old_at(*o)],
                    new_lines[new_at(*n)],
                ));
            }
            for o in &old_range[paired..] {
                out.push(unpaired(
                    read,
                    DifferenceKind::Extra,
                    old_at(*o),
                    old_lines[old_at(*o)],
                ));
            }
            for n in &new_range[paired..] {
                out.push(unpaired(
                    read,
                    DifferenceKind::Missing,
                    new_at(*n),
                    new_lines[new_at(*n)],
                ));
            }
        }
    }
}

/// What an event line is, as the harvest layer reads it (`harvest::events::key`):
/// its name (its method or type; a wire line's direction and method), and
/// the type and id of the item it is about, when it has one. Replaced lines
/// are paired by it, and a difference names the event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey {
    pub name: Option<String>,
    pub item_type: Option<String>,
    pub item_id: Option<String>,
}

/// Reads an event line's key.
pub type EventReader = fn(&Value) -> EventKey;

/// `None` for a line that is not JSON: such lines pair with each other.
fn event_key(read: EventReader, line: &str) -> Option<EventKey> {
    let line: Value = serde_json::from_str(line.trim_end_matches('\n')).ok()?;
    Some(read(&line))
}

fn unpaired(read: EventReader, kind: DifferenceKind, index: usize, line: &str) -> Difference {
    let line = line.trim_end_matches('\n');
    let text = Some(line.to_string());
    let (committed_text, regenerated_text) = match kind {
        DifferenceKind::Missing => (None, text),
        _ => (text, None),
    };
    Difference {
        line: Some(index + 1),
        kind,
        event: serde_json::from_str::<Value>(line)
            .ok()
            .as_ref()
            .and_then(|v| read(v).name),
        fields: Vec::new(),
        note: None,
        committed_text,
        regenerated_text,
    }
}

fn paired_line(read: EventReader, old_index: usize, old: &str, new: &str) -> Difference {
    let (old, new) = (old.trim_end_matches('\n'), new.trim_end_matches('\n'));
    match (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) {
        (Ok(a), Ok(b)) => Difference {
            line: Some(old_index + 1),
            kind: DifferenceKind::Changed,
            event: read(&a).name.or_else(|| read(&b).name),
            fields: if a == b {
                Vec::new()
            } else {
                field_changes(&a, &b)
            },
            note: (a == b).then(|| "same JSON, other bytes (not canonical)".to_string()),
            committed_text: None,
            regenerated_text: None,
        },
        (Err(e), Ok(b)) => Difference {
            line: Some(old_index + 1),
            kind: DifferenceKind::Changed,
            event: read(&b).name,
            fields: Vec::new(),
            note: Some(format!("the committed line is not JSON ({e})")),
            committed_text: Some(old.to_string()),
            regenerated_text: Some(new.to_string()),
        },
        _ => Difference {
            line: Some(old_index + 1),
            kind: DifferenceKind::Changed,
            event: None,
            fields: Vec::new(),
            note: None,
            committed_text: Some(old.to_string()),
            regenerated_text: Some(new.to_string()),
        },
    }
}

/// The leaf fields that differ between `a` (committed) and `b` (regenerated).
fn field_changes(a: &Value, b: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", Some(a), Some(b), &mut out);
    out
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldChange>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(&format!("{path}[{i}]"), x.get(i), y.get(i), out);
            }
        }
        _ => out.push(FieldChange {
            path: path.to_string(),
            committed: a.cloned(),
            regenerated: b.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events named by their `method`, about `params.item`: the engine's
    /// part of the comparison, whatever the shapes a real reader knows.
    fn read(v: &Value) -> EventKey {
        let item = |field: &str| {
            v.pointer(&format!("/params/item/{field}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        EventKey {
            name: v.get("method").and_then(Value::as_str).map(str::to_string),
            item_type: item("type"),
            item_id: item("id"),
        }
    }

    fn compare_events(regenerated: &Tree, committed: &Tree) -> Drift {
        compare(regenerated, committed, read)
    }
    use serde_json::json;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    const STREAM: &str = "{\"method\":\"turn/started\",\"params\":{}}\n{\"method\":\"item/completed\",\"params\":{\"item\":{\"text\":\"hello\"}}}\n{\"method\":\"turn/completed\",\"params\":{}}\n";

    #[test]
    fn identical_trees_are_clean() {
        let t = tree(&[("python/a.jsonl", STREAM)]);
        assert!(compare_events(&t, &t).is_clean());
    }

    #[test]
    fn a_changed_field_is_named_with_its_line_and_event() {
        let edited = STREAM.replace("hello", "hellO");
        let drift = compare_events(
            &tree(&[("a.jsonl", STREAM)]),
            &tree(&[("a.jsonl", &edited)]),
        );
        let d = &drift.changed[0].differences;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(2));
        assert_eq!(d[0].event.as_deref(), Some("item/completed"));
        assert_eq!(
            d[0].fields,
            [FieldChange {
                path: "params.item.text".into(),
                committed: Some(json!("hellO")),
                regenerated: Some(json!("hello")),
            }]
        );
    }

    #[test]
    fn inserted_and_removed_events_are_aligned() {
        let lines: Vec<&str> = STREAM.split_inclusive('\n').collect();
        let without_middle = format!("{}{}", lines[0], lines[2]);
        let drift = compare_events(
            &tree(&[("a.jsonl", STREAM)]),
            &tree(&[("a.jsonl", &without_middle)]),
        );
        let d = &drift.changed[0].differences;
        assert_eq!(
            (d.len(), d[0].kind, d[0].line),
            (1, DifferenceKind::Missing, Some(2))
        );
        assert_eq!(d[0].event.as_deref(), Some("item/completed"));
        let drift = compare_events(
            &tree(&[("a.jsonl", &without_middle)]),
            &tree(&[("a.jsonl", STREAM)]),
        );
        assert_eq!(drift.changed[0].differences[0].kind, DifferenceKind::Extra);
    }

    /// Committed [A, B, C], regenerated [A, X, B', C] with B' one field away
    /// from B: X is reported as new and B as changed in that one field, not
    /// B as "changed into X".
    #[test]
    fn events_inside_a_replaced_block_are_paired_by_what_they_are() {
        let a = r#"{"method":"turn/started","params":{"turnId":"t"}}"#;
        let b = r#"{"method":"item/completed","params":{"item":{"id":"i1","type":"agentMessage","text":"hi"}}}"#;
        let b2 = r#"{"method":"item/completed","params":{"item":{"id":"i1","type":"agentMessage","text":"hello"}}}"#;
        let c = r#"{"method":"turn/completed","params":{"turnId":"t"}}"#;
        let x = r#"{"method":"thread/tokenUsage/updated","params":{"total":3}}"#;
        let d = r#"{"method":"item/completed","params":{"item":{"id":"i2","type":"reasoning"}}}"#;
        let committed = format!("{a}\n{b}\n{d}\n{c}\n");
        let regenerated = format!("{a}\n{x}\n{b2}\n{c}\n");
        let drift = compare_events(
            &tree(&[("s.jsonl", &regenerated)]),
            &tree(&[("s.jsonl", &committed)]),
        );
        let diffs = &drift.changed[0].differences;
        let summary: Vec<(DifferenceKind, Option<usize>, Option<&str>)> = diffs
            .iter()
            .map(|d| (d.kind, d.line, d.event.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    DifferenceKind::Missing,
                    Some(2),
                    Some("thread/tokenUsage/updated")
                ),
                (DifferenceKind::Changed, Some(2), Some("item/completed")),
                (DifferenceKind::Extra, Some(3), Some("item/completed")),
            ]
        );
        assert_eq!(
            diffs[1].fields,
            [FieldChange {
                path: "params.item.text".into(),
                committed: Some(json!("hi")),
                regenerated: Some(json!("hello")),
            }]
        );
    }

    #[test]
    fn a_broken_committed_line_is_reported_as_such() {
        let broken = STREAM.replacen("{\"method\":\"item", "{\"method\"\"item", 1);
        let drift = compare_events(
            &tree(&[("a.jsonl", STREAM)]),
            &tree(&[("a.jsonl", &broken)]),
        );
        let d = &drift.changed[0].differences[0];
        assert_eq!(d.line, Some(2));
        assert!(
            d.note
                .as_deref()
                .unwrap()
                .starts_with("the committed line is not JSON")
        );
        assert!(
            d.committed_text
                .as_deref()
                .unwrap()
                .contains("\"method\"\"item")
        );
        assert!(
            d.regenerated_text
                .as_deref()
                .unwrap()
                .contains("\"method\":\"item")
        );
    }

    #[test]
    fn text_lines_show_both_sides() {
        let drift = compare_events(
            &tree(&[("SHA256SUMS", "aaa  x\nbbb  y\n")]),
            &tree(&[("SHA256SUMS", "aaa  x\nccc  y\n")]),
        );
        let d = &drift.changed[0].differences[0];
        assert_eq!(d.line, Some(2));
        assert_eq!(d.committed_text.as_deref(), Some("ccc  y"));
        assert_eq!(d.regenerated_text.as_deref(), Some("bbb  y"));
    }

    #[test]
    fn missing_extra_and_documents() {
        let regenerated = tree(&[("a.jsonl", STREAM), ("s.json", "{\"a\":[1,2]}\n")]);
        let committed = tree(&[("s.json", "{\"a\":[1]}\n"), ("old.jsonl", STREAM)]);
        let drift = compare_events(&regenerated, &committed);
        assert_eq!(drift.missing, ["a.jsonl"]);
        assert_eq!(drift.extra, ["old.jsonl"]);
        assert_eq!(drift.changed[0].differences[0].fields[0].path, "a[1]");
        assert_eq!(drift.changed[0].differences[0].fields[0].committed, None);
    }

    #[test]
    fn hand_edits_are_found_through_the_committed_manifest() {
        let mut committed = tree(&[("a.jsonl", STREAM)]);
        committed.insert(
            MANIFEST_FILE.into(),
            Sha256Sums::of(&committed).render().into_bytes(),
        );
        assert!(hand_edited(&committed).is_empty());
        committed.insert("a.jsonl".into(), STREAM.replace("hello", "hi").into_bytes());
        assert_eq!(hand_edited(&committed), ["a.jsonl"]);
        committed.insert(MANIFEST_FILE.into(), b"garbage\n".to_vec());
        assert_eq!(hand_edited(&committed), [MANIFEST_FILE]);
    }
}

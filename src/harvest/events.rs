//! What an event line of a fixture is, read in codex's shapes: the engine
//! pairs and names events through this (`compare::EventReader`) and knows
//! no codex itself.

use serde_json::Value;

use crate::engine::compare::EventKey;

/// A notification, an exec event or a wire transcript line, keyed.
pub fn key(line: &Value) -> EventKey {
    let v = message(line).unwrap_or(line);
    let item = v
        .pointer("/params/item")
        .or_else(|| v.get("item"))
        .or_else(|| v.pointer("/params/msg/item"));
    let text = |x: Option<&Value>| x.and_then(Value::as_str).map(str::to_string);
    EventKey {
        name: name(line),
        item_type: text(item.and_then(|i| i.get("type"))),
        item_id: text(item.and_then(|i| i.get("id"))),
    }
}

/// A wire transcript line (`{"dir": …, "msg": …}`)'s JSON-RPC message.
fn message(line: &Value) -> Option<&Value> {
    line.get("dir").and(line.get("msg"))
}

/// An event's method or type; a wire line's direction and method (or
/// `response`), so both directions pair apart.
pub fn name(v: &Value) -> Option<String> {
    if let (Some(dir), Some(msg)) = (v.get("dir").and_then(Value::as_str), message(v)) {
        let what =
            msg.get("method")
                .and_then(Value::as_str)
                .unwrap_or(if msg.get("error").is_some() {
                    "error"
                } else {
                    "response"
                });
        return Some(format!("{dir} {what}"));
    }
    v.get("method")
        .or_else(|| v.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::Drift;
    use crate::engine::compare::compare as compare_with;
    use crate::engine::tree::Tree;

    fn compare(regenerated: &Tree, committed: &Tree) -> Drift {
        compare_with(regenerated, committed, key)
    }

    fn name_of(v: &Value) -> Option<String> {
        key(v).name
    }

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    /// A wire line is named by its direction and method, and a new field in
    /// one is a changed field of that event.
    #[test]
    fn wire_lines_are_named_by_direction_and_method() {
        let old = "{\"dir\":\"c2s\",\"msg\":{\"id\":1,\"method\":\"thread/start\"}}\n{\"dir\":\"s2c\",\"msg\":{\"id\":1,\"result\":{}}}\n{\"dir\":\"s2c\",\"msg\":{\"method\":\"item/started\",\"params\":{\"item\":{\"id\":\"i\",\"type\":\"agentMessage\"}}}}\n";
        let new = old.replace(
            "\"type\":\"agentMessage\"",
            "\"type\":\"agentMessage\",\"startedAtMs\":0",
        );
        let drift = compare(&tree(&[("w.jsonl", &new)]), &tree(&[("w.jsonl", old)]));
        let d = &drift.changed[0].differences;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].event.as_deref(), Some("s2c item/started"));
        assert_eq!(d[0].line, Some(3));
        assert_eq!(
            name_of(&serde_json::from_str(old.lines().nth(1).unwrap()).unwrap()).as_deref(),
            Some("s2c response")
        );
    }
}

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
fn name(v: &Value) -> Option<String> {
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

//! JSON as a reader compares it: objects are unordered (RFC 8259), so
//! two documents that differ only in the order of their keys are shown,
//! and compared, in one order.

use serde_json::Value;

/// `v` with every object's keys sorted.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_any_order_read_alike_and_arrays_keep_theirs() {
        let a: Value = serde_json::from_str(r#"{"b":{"y":1,"x":[3,1]},"a":0}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":0,"b":{"x":[3,1],"y":1}}"#).unwrap();
        assert_eq!(sorted(&a).to_string(), sorted(&b).to_string());
        assert_eq!(sorted(&a).to_string(), r#"{"a":0,"b":{"x":[3,1],"y":1}}"#);
    }
}

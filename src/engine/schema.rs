//! A JSON value checked against a JSON schema (draft 7), with what fails
//! named by where it is in the value and in the schema.

use anyhow::{Result, anyhow};
use serde_json::Value;

/// A compiled schema.
pub struct Schema(jsonschema::Validator);

/// One way a value does not fit its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Where in the value (a JSON pointer; empty for the whole value).
    pub instance_path: String,
    /// Which keyword of the schema it breaks (a JSON pointer).
    pub schema_path: String,
    pub message: String,
}

impl Schema {
    pub fn compile(schema: &Value) -> Result<Schema> {
        jsonschema::validator_for(schema)
            .map(Schema)
            .map_err(|e| anyhow!("the schema does not compile: {e}"))
    }

    /// Every way `value` does not fit, at most `limit`.
    pub fn violations(&self, value: &Value, limit: usize) -> Vec<Violation> {
        self.0
            .iter_errors(value)
            .take(limit)
            .map(|e| Violation {
                instance_path: e.instance_path().to_string(),
                schema_path: e.schema_path().to_string(),
                message: e.to_string(),
            })
            .collect()
    }
}

impl Violation {
    /// Where in the value, `/` for the whole of it.
    pub fn place(&self) -> &str {
        match self.instance_path.as_str() {
            "" => "/",
            path => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_violation_names_the_field_and_the_keyword() {
        let schema = Schema::compile(&json!({
            "type": "object",
            "properties": {"turn": {"$ref": "#/definitions/Turn"}},
            "definitions": {"Turn": {"type": "object", "properties": {"startedAt": {"type": "integer"}}}}
        }))
        .unwrap();
        assert!(
            schema
                .violations(&json!({"turn": {"startedAt": 0}}), 5)
                .is_empty()
        );
        let found = schema.violations(&json!({"turn": {"startedAt": "0"}}), 5);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].instance_path, "/turn/startedAt");
        assert!(found[0].schema_path.ends_with("/type"), "{found:?}");
    }
}

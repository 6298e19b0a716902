//! The JSON schema of each app-server message one codex generates
//! (`codex app-server generate-json-schema`): every server notification,
//! server request, client request and client notification by its method,
//! and the response to each request, each a schema that stands alone (its
//! union's definitions attached), so that a message is checked against its
//! own variant and a mismatch names the field, not the whole union.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use serde_json::{Map, Value, json};

use super::protocol::{generate, read_schema};

/// Which union a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    ServerNotification,
    ServerRequest,
    ClientRequest,
    ClientNotification,
}

impl MessageKind {
    const ALL: [MessageKind; 4] = [
        MessageKind::ServerNotification,
        MessageKind::ServerRequest,
        MessageKind::ClientRequest,
        MessageKind::ClientNotification,
    ];

    /// The file codex writes the union to, which is also its name.
    pub fn file(self) -> &'static str {
        match self {
            MessageKind::ServerNotification => "ServerNotification.json",
            MessageKind::ServerRequest => "ServerRequest.json",
            MessageKind::ClientRequest => "ClientRequest.json",
            MessageKind::ClientNotification => "ClientNotification.json",
        }
    }
}

/// The schemas one codex generates, by message.
#[derive(Debug, Default)]
pub struct MessageSchemas {
    variants: HashMap<(MessageKind, String), Part>,
    /// A request's method (client's or server's) → its response's schema.
    responses: HashMap<String, Part>,
}

/// A message's own schema and the definitions it may refer to, which every
/// message of its union shares: a schema is made to stand alone only when
/// a message of its kind is checked, since copying hundreds of definitions
/// into each of a union's variants costs seconds a stop must not wait for.
#[derive(Debug)]
struct Part {
    schema: Value,
    definitions: Arc<Value>,
}

impl Part {
    fn standalone(&self) -> Value {
        standalone(&self.schema, &self.definitions)
    }
}

/// The files whose definitions hold the responses: the v2 protocol, then
/// the rest of it (`initialize`'s).
const DEFINITIONS: [&str; 2] = [
    "codex_app_server_protocol.v2.schemas.json",
    "codex_app_server_protocol.schemas.json",
];

impl MessageSchemas {
    /// Asks `codex` for its schema, the experimental API's included (a
    /// client may ask for it, and the recorded ones do), and splits it by
    /// message.
    pub fn of(codex: &Path) -> Result<MessageSchemas> {
        let dir = generate(codex, true)?;
        let mut out = MessageSchemas::default();
        let definitions: Vec<Arc<Value>> = DEFINITIONS
            .iter()
            .map(|name| {
                Ok(Arc::new(
                    read_schema(dir.path(), name)?["definitions"].take(),
                ))
            })
            .collect::<Result<_>>()?;
        for kind in MessageKind::ALL {
            let mut union = read_schema(dir.path(), kind.file())?;
            let shared = Arc::new(union["definitions"].take());
            for variant in union["oneOf"].as_array_mut().into_iter().flatten() {
                let method = constant(variant, "method")?;
                if let Some(response) = response_of(variant, &definitions, dir.path()) {
                    out.responses.insert(method.clone(), response);
                }
                let part = Part {
                    schema: variant.take(),
                    definitions: shared.clone(),
                };
                out.variants.insert((kind, method), part);
            }
        }
        Ok(out)
    }

    /// The schema of the `kind` message `method`, if codex has it.
    pub fn message(&self, kind: MessageKind, method: &str) -> Option<Value> {
        self.variants
            .get(&(kind, method.to_string()))
            .map(Part::standalone)
    }

    /// The schema of the response to the request `method`, if codex names one.
    pub fn response(&self, method: &str) -> Option<Value> {
        self.responses.get(method).map(Part::standalone)
    }
}

fn constant(variant: &Value, field: &str) -> Result<String> {
    variant["properties"][field]["enum"][0]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("a variant without a constant {field}: {variant}"))
}

/// `schema` with the definitions it refers to attached.
fn standalone(schema: &Value, definitions: &Value) -> Value {
    let mut out: Map<String, Value> = schema.as_object().cloned().unwrap_or_default();
    out.insert(
        "$schema".into(),
        "http://json-schema.org/draft-07/schema#".into(),
    );
    if definitions.is_object() {
        out.insert("definitions".into(), definitions.clone());
    }
    Value::Object(out)
}

/// The response of a request variant: its params are `<Name>Params` (or
/// optional, `anyOf` that and null), its response `<Name>Response`, defined
/// in the protocol's definitions or in a file of its own (a server
/// request's, which the client answers). A request without params names
/// no response.
fn response_of(variant: &Value, definitions: &[Arc<Value>], dir: &Path) -> Option<Part> {
    let params = &variant["properties"]["params"];
    let params = params["$ref"].as_str().or_else(|| {
        params["anyOf"]
            .as_array()?
            .iter()
            .find_map(|p| p["$ref"].as_str())
    })?;
    let name = params
        .strip_prefix("#/definitions/")?
        .strip_suffix("Params")?
        .to_string()
        + "Response";
    for defs in definitions {
        if defs.get(&name).is_some() {
            return Some(Part {
                schema: json!({"$ref": format!("#/definitions/{name}")}),
                definitions: defs.clone(),
            });
        }
    }
    let mut own = read_schema(dir, &format!("{name}.json")).ok()?;
    let definitions = own
        .get_mut("definitions")
        .map(Value::take)
        .unwrap_or(json!({}));
    Some(Part {
        schema: own,
        definitions: Arc::new(definitions),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_stands_alone_with_its_unions_definitions() {
        let variant = json!({"properties": {"method": {"enum": ["turn/started"]}, "params": {"$ref": "#/definitions/TurnStartedNotification"}}});
        let defs = json!({"TurnStartedNotification": {"type": "object"}});
        let alone = standalone(&variant, &defs);
        assert_eq!(alone["definitions"], defs);
        assert_eq!(alone["properties"], variant["properties"]);
        assert_eq!(constant(&variant, "method").unwrap(), "turn/started");
    }

    #[test]
    fn a_response_is_named_after_its_params() {
        let dir = tempfile::tempdir().unwrap();
        let v2 = Arc::new(json!({"ThreadStartResponse": {"type": "object"}}));
        let request =
            json!({"properties": {"params": {"$ref": "#/definitions/ThreadStartParams"}}});
        let found = response_of(&request, std::slice::from_ref(&v2), dir.path()).unwrap();
        let alone = found.standalone();
        assert_eq!(alone["$ref"], "#/definitions/ThreadStartResponse");
        assert_eq!(alone["definitions"], *v2);
        let elsewhere = json!({"properties": {"params": {"$ref": "#/definitions/NoSuchParams"}}});
        assert!(response_of(&elsewhere, &[], dir.path()).is_none());
    }

    #[test]
    fn optional_params_name_the_response_and_none_name_none() {
        let dir = tempfile::tempdir().unwrap();
        let v2 = Arc::new(json!({"GetAccountRateLimitsResponse": {"type": "object"}}));
        let optional = json!({"properties": {"params": {"anyOf": [{"$ref": "#/definitions/GetAccountRateLimitsParams"}, {"type": "null"}]}}});
        let found = response_of(&optional, std::slice::from_ref(&v2), dir.path()).unwrap();
        assert_eq!(
            found.standalone()["$ref"],
            "#/definitions/GetAccountRateLimitsResponse"
        );
        let none = json!({"properties": {"params": {"type": "null"}}});
        assert!(response_of(&none, std::slice::from_ref(&v2), dir.path()).is_none());
    }
}

//! The JSON schema of each app-server message one codex generates
//! (`codex app-server generate-json-schema`): every server notification,
//! server request, client request and client notification by its method,
//! and the response to each request, each a schema that stands alone (its
//! union's definitions attached), so that a message is checked against its
//! own variant and a mismatch names the field, not the whole union.

use std::collections::HashMap;
use std::path::Path;

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
    variants: HashMap<(MessageKind, String), Value>,
    /// A request's method (client's or server's) → its response's schema.
    responses: HashMap<String, Value>,
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
        let definitions: Vec<Value> = DEFINITIONS
            .iter()
            .map(|name| read_schema(dir.path(), name))
            .collect::<Result<_>>()?;
        for kind in MessageKind::ALL {
            let union = read_schema(dir.path(), kind.file())?;
            for variant in union["oneOf"].as_array().into_iter().flatten() {
                let method = constant(variant, "method")?;
                if let Some(response) = response_of(variant, &definitions, dir.path()) {
                    out.responses.insert(method.clone(), response);
                }
                out.variants
                    .insert((kind, method), standalone(variant, &union["definitions"]));
            }
        }
        Ok(out)
    }

    /// The schema of the `kind` message `method`, if codex has it.
    pub fn message(&self, kind: MessageKind, method: &str) -> Option<&Value> {
        self.variants.get(&(kind, method.to_string()))
    }

    /// The schema of the response to the request `method`, if codex names one.
    pub fn response(&self, method: &str) -> Option<&Value> {
        self.responses.get(method)
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

/// The response of a request variant: its params are `<Name>Params`, its
/// response `<Name>Response`, defined in the protocol's definitions or in
/// a file of its own (a server request's, which the client answers).
fn response_of(variant: &Value, definitions: &[Value], dir: &Path) -> Option<Value> {
    let params = variant["properties"]["params"]["$ref"].as_str()?;
    let name = params
        .strip_prefix("#/definitions/")?
        .strip_suffix("Params")?
        .to_string()
        + "Response";
    for file in definitions {
        let defs = &file["definitions"];
        if defs.get(&name).is_some() {
            let reference = json!({"$ref": format!("#/definitions/{name}")});
            return Some(standalone(&reference, defs));
        }
    }
    let own = read_schema(dir, &format!("{name}.json")).ok()?;
    let definitions = own.get("definitions").cloned().unwrap_or(json!({}));
    Some(standalone(&own, &definitions))
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
        let v2 = json!({"definitions": {"ThreadStartResponse": {"type": "object"}}});
        let request =
            json!({"properties": {"params": {"$ref": "#/definitions/ThreadStartParams"}}});
        let found = response_of(&request, &[v2], dir.path()).unwrap();
        assert_eq!(found["$ref"], "#/definitions/ThreadStartResponse");
        let elsewhere = json!({"properties": {"params": {"$ref": "#/definitions/NoSuchParams"}}});
        assert!(response_of(&elsewhere, &[], dir.path()).is_none());
    }
}

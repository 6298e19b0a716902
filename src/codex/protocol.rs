//! What a client of codex can be sent, in codex's own words: the app-server
//! protocol's JSON schema that a codex binary generates
//! (`codex app-server generate-json-schema`), and the item and event unions
//! of the TypeScript SDK's type declarations (`dist/index.d.ts`).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::base::private_dir::PrivateDir;

/// The names of every kind of message of the app-server protocol, as one
/// codex's stable schema lists them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProtocolTypes {
    /// `ThreadItem`'s `type`s (`agentMessage`, `fileChange`, …).
    pub items: Vec<String>,
    /// `ServerNotification`'s methods.
    pub notifications: Vec<String>,
    /// `ServerRequest`'s methods: what the client answers.
    pub server_requests: Vec<String>,
    /// `ClientRequest`'s methods.
    pub client_requests: Vec<String>,
}

impl ProtocolTypes {
    /// Asks `codex` for its schema (into a temp dir) and reads the names.
    pub fn of(codex: &Path) -> Result<ProtocolTypes> {
        let dir = generate(codex, false)?;
        let read = |name: &str| read_schema(dir.path(), name);
        let v2 = read("codex_app_server_protocol.v2.schemas.json")?;
        Ok(ProtocolTypes {
            items: variants(&v2["definitions"]["ThreadItem"], "type")?,
            notifications: variants(&read("ServerNotification.json")?, "method")?,
            server_requests: variants(&read("ServerRequest.json")?, "method")?,
            client_requests: variants(&read("ClientRequest.json")?, "method")?,
        })
    }
}

/// `codex app-server generate-json-schema` into a temp dir, which holds
/// one file per message union and the protocol's definitions; with
/// `experimental`, the messages and fields of the experimental API too.
pub fn generate(codex: &Path, experimental: bool) -> Result<PrivateDir> {
    let dir = PrivateDir::new("schema").context("creating a dir for codex's schema")?;
    let (mut cmd, _home) = crate::codex::toolchain::homeless_codex(codex)?;
    cmd.args(["app-server", "generate-json-schema"]);
    if experimental {
        cmd.arg("--experimental");
    }
    crate::codex::toolchain::command::run(
        cmd.arg("--out").arg(dir.path()),
        &format!("{} app-server generate-json-schema", codex.display()),
    )?;
    Ok(dir)
}

/// One schema file of what `generate` wrote.
pub fn read_schema(dir: &Path, name: &str) -> Result<Value> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("reading codex's {name}"))?;
    serde_json::from_slice(&bytes).with_context(|| format!("codex's {name} is not JSON"))
}

/// The constant `field` of each variant of a `oneOf` union.
fn variants(union: &Value, field: &str) -> Result<Vec<String>> {
    let list = union["oneOf"]
        .as_array()
        .ok_or_else(|| anyhow!("the schema's union has no oneOf"))?;
    list.iter()
        .map(|v| {
            v["properties"][field]["enum"][0]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("a variant without a constant {field}: {v}"))
        })
        .collect()
}

/// The TypeScript SDK's `ThreadItem` and `ThreadEvent` unions: the item
/// and event types a `codex exec --json` client reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecTypes {
    pub items: Vec<String>,
    pub events: Vec<String>,
}

impl ExecTypes {
    /// Reads the unions from the SDK's `index.d.ts`.
    pub fn of_declarations(text: &str) -> Result<ExecTypes> {
        Ok(ExecTypes {
            items: union_types(text, "ThreadItem")?,
            events: union_types(text, "ThreadEvent")?,
        })
    }
}

/// The `type: "…"` of each member of `type <union> = A | B | …;`.
fn union_types(text: &str, union: &str) -> Result<Vec<String>> {
    let head = format!("type {union} = ");
    let start = text
        .find(&head)
        .ok_or_else(|| anyhow!("the declarations have no {union} union"))?;
    let members = text[start + head.len()..]
        .split(';')
        .next()
        .unwrap_or_default();
    members
        .split('|')
        .map(str::trim)
        .map(|member| {
            let decl = format!("type {member} = {{");
            let body = text
                .find(&decl)
                .map(|at| &text[at + decl.len()..])
                .ok_or_else(|| anyhow!("{union}'s member {member} is not declared"))?;
            let body = body.split("\n}").next().unwrap_or_default();
            body.split("type: \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_string)
                .ok_or_else(|| anyhow!("{member} has no type: \"…\""))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unions_are_read_member_by_member() {
        let text = "type AItem = {\n    id: string;\n    type: \"agent_message\";\n};\n\
                    type BItem = {\n    /** with a comment */\n    type: \"todo_list\";\n    items: { text: string; }[];\n};\n\
                    type ThreadItem = AItem | BItem;\n\
                    type StartedEvent = {\n    type: \"thread.started\";\n};\n\
                    type ThreadEvent = StartedEvent;\n";
        let types = ExecTypes::of_declarations(text).unwrap();
        assert_eq!(types.items, ["agent_message", "todo_list"]);
        assert_eq!(types.events, ["thread.started"]);
        let err = ExecTypes::of_declarations("type ThreadItem = Missing;")
            .unwrap_err()
            .to_string();
        assert!(err.contains("Missing is not declared"), "{err}");
    }

    #[test]
    fn a_schema_union_is_read_by_its_constant_field() {
        let union = serde_json::json!({"oneOf": [
            {"properties": {"method": {"enum": ["turn/started"]}}},
            {"properties": {"method": {"enum": ["turn/completed"]}}}
        ]});
        assert_eq!(
            variants(&union, "method").unwrap(),
            ["turn/started", "turn/completed"]
        );
        assert!(variants(&serde_json::json!({}), "method").is_err());
    }
}

//! Every app-server message a lane recorded, checked against the schema its
//! codex generates: the Python lane's notifications and the answers its
//! handler gave, the wire lane's messages both ways and the responses to
//! requests. A message that does not fit fails the scenario, naming the
//! file, the line and the schema keyword. Normalised, so that the check
//! also proves that placeholders keep the types of what they replace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};

use crate::base::failure::{Kind, at_most, of_kind};
use crate::base::interrupt;
use crate::codex::message_schemas::{MessageKind, MessageSchemas};
use crate::engine::fixture_path::FixturePath;
use crate::engine::schema::Schema;

/// How many violations a failure shows.
const SHOWN: usize = 5;

/// Which schema a message is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Message(MessageKind, String),
    Response(String),
}

/// One codex's schemas, asked of it when a scenario's first output is
/// checked (a scenario's scratch dir has checked the room in TMPDIR by
/// then) and each compiled when first needed.
pub struct ProtocolCheck {
    codex: PathBuf,
    schemas: OnceLock<std::result::Result<MessageSchemas, String>>,
    compiled: Mutex<HashMap<Key, Option<Arc<Schema>>>>,
}

impl ProtocolCheck {
    pub fn of(codex: &Path) -> ProtocolCheck {
        ProtocolCheck {
            codex: codex.to_path_buf(),
            schemas: OnceLock::new(),
            compiled: Mutex::new(HashMap::new()),
        }
    }

    fn schemas(&self) -> Result<&MessageSchemas> {
        self.schemas
            .get_or_init(|| MessageSchemas::of(&self.codex).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| of_kind(anyhow!("{e}"), Kind::Toolchain))
    }

    fn schema(&self, key: &Key) -> Result<Option<Arc<Schema>>> {
        if let Some(found) = self.compiled.lock().expect("schemas lock").get(key) {
            return Ok(found.clone());
        }
        let schemas = self.schemas()?;
        let raw = match key {
            Key::Message(kind, method) => schemas.message(*kind, method),
            Key::Response(method) => schemas.response(method),
        };
        let compiled = raw
            .as_ref()
            .map(Schema::compile)
            .transpose()
            .with_context(|| format!("codex's schema of {}", describe(key)))?
            .map(Arc::new);
        self.compiled
            .lock()
            .expect("schemas lock")
            .insert(key.clone(), compiled.clone());
        Ok(compiled)
    }

    /// Checks the lane output `path` (its normalised bytes); other lanes'
    /// outputs than the Python and wire lanes' are not app-server messages.
    pub fn check(&self, path: &FixturePath, bytes: &[u8]) -> Result<()> {
        let lane = path.as_str().split('/').next().unwrap_or_default();
        if !path.is_jsonl() || !matches!(lane, "python" | "wire") {
            return Ok(());
        }
        let text = String::from_utf8_lossy(bytes);
        let mut requests: HashMap<(bool, String), String> = HashMap::new();
        let mut failures = Vec::new();
        for (i, line) in text.lines().enumerate() {
            interrupt::check()?;
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let checks = match lane {
                "python" => python_line(&value),
                _ => wire_line(&value, &mut requests),
            };
            for (key, message) in checks {
                let Some(schema) = self.schema(&key)? else {
                    failures.push(format!(
                        "{path} line {}: codex's schema has no {}",
                        i + 1,
                        describe(&key)
                    ));
                    continue;
                };
                for v in schema.violations(&message, SHOWN) {
                    failures.push(format!(
                        "{path} line {}: {} {}: {} (schema {})",
                        i + 1,
                        describe(&key),
                        v.place(),
                        v.message,
                        v.schema_path
                    ));
                }
            }
        }
        if failures.is_empty() {
            return Ok(());
        }
        Err(Violations(at_most(failures, SHOWN)).into())
    }
}

/// Messages that do not fit codex's schema: a finding about the run (a
/// normalisation rule that changes a type, a client that sends what codex
/// does not declare), never a codex that cannot run the lane, so a matrix
/// cell fails on it too rather than recording it.
#[derive(Debug)]
pub struct Violations(Vec<String>);

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "what was recorded does not fit the schema codex generates (app-server generate-json-schema --experimental):\n  {}",
            self.0.join("\n  ")
        )
    }
}

impl std::error::Error for Violations {}

/// Whether `error` is (or was caused by) [`Violations`].
pub fn is_violation(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<Violations>())
}

fn describe(key: &Key) -> String {
    match key {
        Key::Message(kind, method) => format!("{} {method}", kind.file().trim_end_matches(".json")),
        Key::Response(method) => format!("response to {method}"),
    }
}

/// A Python fixture line: a notification `{method, params}`, or what the
/// client's handler was asked and returned (`{approval_handler: …}`).
fn python_line(value: &Value) -> Vec<(Key, Value)> {
    let method = |v: &Value| v["method"].as_str().map(str::to_string);
    if let Some(call) = value.get("approval_handler") {
        let Some(m) = method(call) else {
            return Vec::new();
        };
        let request = json!({"id": 0, "method": m, "params": call["params"]});
        return vec![
            (Key::Message(MessageKind::ServerRequest, m.clone()), request),
            (Key::Response(m), call["returned"].clone()),
        ];
    }
    method(value)
        .map(|m| {
            vec![(
                Key::Message(MessageKind::ServerNotification, m),
                value.clone(),
            )]
        })
        .unwrap_or_default()
}

/// A wire line `{dir, msg}`: a request or notification by its direction,
/// a response by the request it answers (remembered in `requests`, by who
/// asked and its id); an error response is JSON-RPC's, not codex's.
fn wire_line(value: &Value, requests: &mut HashMap<(bool, String), String>) -> Vec<(Key, Value)> {
    let from_server = value["dir"] == "s2c";
    let msg = &value["msg"];
    let id = msg.get("id").map(Value::to_string);
    match (msg["method"].as_str(), id) {
        (Some(method), Some(id)) => {
            requests.insert((from_server, id), method.to_string());
            let kind = match from_server {
                true => MessageKind::ServerRequest,
                false => MessageKind::ClientRequest,
            };
            vec![(Key::Message(kind, method.to_string()), msg.clone())]
        }
        (Some(method), None) => {
            let kind = match from_server {
                true => MessageKind::ServerNotification,
                false => MessageKind::ClientNotification,
            };
            vec![(Key::Message(kind, method.to_string()), msg.clone())]
        }
        (None, Some(id)) if msg.get("result").is_some() => requests
            .remove(&(!from_server, id))
            .map(|m| vec![(Key::Response(m), msg["result"].clone())])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_checked_as_the_answer_to_its_request() {
        let mut requests = HashMap::new();
        let asked = json!({"dir": "c2s", "msg": {"id": 3, "method": "thread/start", "params": {}}});
        let checks = wire_line(&asked, &mut requests);
        assert_eq!(
            checks[0].0,
            Key::Message(MessageKind::ClientRequest, "thread/start".into())
        );
        let answered = json!({"dir": "s2c", "msg": {"id": 3, "result": {"thread": {}}}});
        let checks = wire_line(&answered, &mut requests);
        assert_eq!(
            checks,
            [(Key::Response("thread/start".into()), json!({"thread": {}}))]
        );
        assert!(requests.is_empty());
        let error = json!({"dir": "s2c", "msg": {"id": 4, "error": {"code": 1}}});
        assert!(wire_line(&error, &mut requests).is_empty());
    }

    #[test]
    fn a_handler_line_is_a_server_request_and_its_answer() {
        let line = json!({"approval_handler": {"method": "item/tool/call", "params": {"a": 1}, "returned": {"b": 2}}});
        let checks = python_line(&line);
        assert_eq!(
            checks[0].0,
            Key::Message(MessageKind::ServerRequest, "item/tool/call".into())
        );
        assert_eq!(checks[0].1["id"], 0);
        assert_eq!(
            checks[1],
            (Key::Response("item/tool/call".into()), json!({"b": 2}))
        );
        let notification = json!({"method": "turn/started", "params": {}});
        assert_eq!(
            python_line(&notification)[0].0,
            Key::Message(MessageKind::ServerNotification, "turn/started".into())
        );
    }
}

//! What an app-server client may say differently from the recorded one and
//! still be served: who it is (codex only echoes that back), how it spells
//! JSON-RPC, and whether it asked for the experimental API (codex then
//! leaves some notifications out). Each rule here is one that the real
//! codex 0.163.0 was measured to follow (`../shared/DESIGN.md`, "What each
//! client sends"); anything else a client does differently is a divergence.

use std::path::Path;

use serde_json::{Map, Value};

/// Sent only to a client whose `initialize` asked for
/// `capabilities.experimentalApi`.
pub const EXPERIMENTAL_ONLY: [&str; 2] = ["thread/settings/updated", "thread/readState/changed"];

/// Params where `null` is a value, not "absent" (`serviceTier: null` clears
/// the tier, and codex answers differently).
pub const NULL_IS_A_VALUE: [&str; 1] = ["serviceTier"];

/// A way another client may spell the recorded client's messages and still
/// be served as it: [`comparable`] reads both alike, and the real pinned
/// codex holds the same conversation with both (but for the identity it
/// echoes and what it leaves out without the experimental API), proven per
/// entry in tests/replay.rs. Anything a client does differently that is
/// not here is a divergence.
pub struct Equivalence {
    pub name: &'static str,
    /// Respells one client message, sent to a codex started in the
    /// directory given.
    pub spell: fn(&mut Value, &Path),
}

pub const EQUIVALENCES: &[Equivalence] = &[
    Equivalence {
        name: "another client's identity (the Elixir SDK's clientInfo: its own name and version, no title)",
        spell: another_identity,
    },
    Equivalence {
        name: "no experimental API capability",
        spell: no_experimental_api,
    },
    Equivalence {
        name: "a jsonrpc member on every message",
        spell: with_jsonrpc,
    },
    Equivalence {
        name: "null for the optional params a request leaves out",
        spell: nulls_for_absent_params,
    },
    Equivalence {
        name: "empty params on a message that has none",
        spell: empty_params,
    },
    Equivalence {
        name: "cwd \".\" on thread/start and turn/start (the directory codex was started in)",
        spell: cwd_here_relative,
    },
    Equivalence {
        name: "cwd on thread/start and turn/start spelled as the absolute directory codex was started in",
        spell: cwd_here_absolute,
    },
];

/// The requests whose `cwd` param, absent, is the directory codex was
/// started in.
const CWD_DEFAULTS_TO_START: [&str; 2] = ["thread/start", "turn/start"];

fn with_cwd(msg: &mut Value, cwd: String) {
    if CWD_DEFAULTS_TO_START.contains(&msg["method"].as_str().unwrap_or_default())
        && let Some(params) = msg["params"].as_object_mut()
    {
        params.insert("cwd".into(), cwd.into());
    }
}

fn cwd_here_relative(msg: &mut Value, _: &Path) {
    with_cwd(msg, ".".into());
}

fn cwd_here_absolute(msg: &mut Value, started_in: &Path) {
    with_cwd(msg, started_in.display().to_string());
}

/// A received message as codex reads it: a `cwd` that names the directory
/// codex was started in (relative to it or absolute) is codex's default,
/// the same as none.
pub fn without_default_cwd(msg: &mut Value, started_in: &Path) {
    if !CWD_DEFAULTS_TO_START.contains(&msg["method"].as_str().unwrap_or_default()) {
        return;
    }
    let Some(params) = msg["params"].as_object_mut() else {
        return;
    };
    let here = params
        .get("cwd")
        .and_then(Value::as_str)
        .is_some_and(|cwd| {
            started_in
                .join(cwd)
                .components()
                .eq(started_in.components())
        });
    if here {
        params.remove("cwd");
    }
}

fn is_initialize(msg: &Value) -> bool {
    msg["method"] == "initialize"
}

fn another_identity(msg: &mut Value, _: &Path) {
    if is_initialize(msg) {
        msg["params"]["clientInfo"] = serde_json::json!({"name": "codex_sdk", "version": "0.9.0"});
    }
}

fn no_experimental_api(msg: &mut Value, _: &Path) {
    if is_initialize(msg)
        && let Some(params) = msg["params"].as_object_mut()
    {
        params.remove("capabilities");
    }
}

fn with_jsonrpc(msg: &mut Value, _: &Path) {
    if let Some(map) = msg.as_object_mut() {
        map.insert("jsonrpc".into(), "2.0".into());
    }
}

/// Optional params of the requests a thread's conversation makes, as the
/// app-server protocol names them.
const OPTIONAL_PARAMS: [(&str, &[&str]); 2] = [
    (
        "thread/start",
        &["cwd", "baseInstructions", "developerInstructions"],
    ),
    ("turn/start", &["cwd", "effort", "summary", "outputSchema"]),
];

fn nulls_for_absent_params(msg: &mut Value, _: &Path) {
    let method = msg["method"].as_str().unwrap_or_default().to_string();
    for (m, keys) in OPTIONAL_PARAMS {
        if method == m
            && let Some(params) = msg["params"].as_object_mut()
        {
            for key in keys {
                params.entry(key.to_string()).or_insert(Value::Null);
            }
        }
    }
}

fn empty_params(msg: &mut Value, _: &Path) {
    if let Some(map) = msg.as_object_mut()
        && map.contains_key("method")
        && !map.contains_key("params")
    {
        map.insert("params".into(), Value::Object(Map::new()));
    }
}

/// The client as it introduced itself: what codex echoes back.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    pub version: String,
    /// The originator codex records on threads: the client's name unless
    /// `CODEX_INTERNAL_ORIGINATOR_OVERRIDE` says otherwise.
    pub originator: String,
    pub experimental: bool,
}

impl Identity {
    /// The identity an `initialize` request states.
    pub fn of(initialize: &Value, originator_override: Option<String>) -> Identity {
        let info = &initialize["params"]["clientInfo"];
        let name = info["name"].as_str().unwrap_or_default().to_string();
        Identity {
            originator: originator_override.unwrap_or_else(|| name.clone()),
            version: info["version"].as_str().unwrap_or_default().to_string(),
            name,
            experimental: initialize["params"]["capabilities"]["experimentalApi"] == true,
        }
    }

    /// `msg`, sent by codex to the `recorded` client, as codex would have
    /// sent it to this one: the user agent and the threads' originator
    /// name this client.
    pub fn rewrite(&self, recorded: &Identity, msg: &mut Value) {
        match msg {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match (key.as_str(), v.as_str()) {
                        ("userAgent", Some(agent)) => *v = self.user_agent(recorded, agent).into(),
                        ("originator", Some(o)) if o == recorded.originator => {
                            *v = self.originator.clone().into()
                        }
                        _ => self.rewrite(recorded, v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.rewrite(recorded, v)),
            _ => {}
        }
    }

    /// `<originator>/<codex version> (…) <terminal> (<name>; <version>)`.
    fn user_agent(&self, recorded: &Identity, agent: &str) -> String {
        let mut out = agent.to_string();
        if let Some(rest) = out.strip_prefix(&format!("{}/", recorded.originator)) {
            out = format!("{}/{rest}", self.originator);
        }
        let (was, now) = (
            format!("({}; {})", recorded.name, recorded.version),
            format!("({}; {})", self.name, self.version),
        );
        match out.strip_suffix(&was) {
            Some(head) => format!("{head}{now}"),
            None => out,
        }
    }
}

/// A client message as replay compares it: no `jsonrpc` member, `params:
/// {}` the same as none, a `null` param the same as an absent one (but
/// where null is a value), and an `initialize` without the client's
/// identity and the experimental flag, which replay serves apart.
pub fn comparable(msg: &Value) -> Value {
    let mut msg = msg.clone();
    if let Value::Object(map) = &mut msg {
        map.remove("jsonrpc");
        if map
            .get("params")
            .is_some_and(|p| p == &Value::Object(Map::new()))
        {
            map.remove("params");
        }
        if map.get("method").and_then(Value::as_str) == Some("initialize")
            && let Some(Value::Object(params)) = map.get_mut("params")
        {
            params.remove("clientInfo");
            if let Some(Value::Object(caps)) = params.get_mut("capabilities") {
                caps.remove("experimentalApi");
                if caps.is_empty() {
                    params.remove("capabilities");
                }
            }
            if params.is_empty() {
                map.remove("params");
            }
        }
        if let Some(params) = map.get_mut("params") {
            drop_nulls(params);
        }
    }
    msg
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, v| !v.is_null() || NULL_IS_A_VALUE.contains(&k.as_str()));
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn python() -> Value {
        json!({"id": 1, "method": "initialize", "params": {"capabilities": {"experimentalApi": true}, "clientInfo": {"name": "codex_python_sdk", "title": "Codex Python SDK", "version": "0.163.0"}}})
    }

    #[test]
    fn another_client_is_the_same_request_and_hears_its_own_name() {
        let elixir = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "codex_sdk", "version": "0.9.0"}}});
        assert_eq!(comparable(&python()), comparable(&elixir));
        let (was, now) = (Identity::of(&python(), None), Identity::of(&elixir, None));
        assert!(was.experimental && !now.experimental);
        let mut answer = json!({"result": {"userAgent": "codex_python_sdk/0.163.0 (Linux 0.0.0; x86_64) dumb (codex_python_sdk; 0.163.0)"}});
        now.rewrite(&was, &mut answer);
        assert_eq!(
            answer["result"]["userAgent"],
            "codex_sdk/0.163.0 (Linux 0.0.0; x86_64) dumb (codex_sdk; 0.9.0)"
        );
        let mut started =
            json!({"params": {"thread": {"originator": "codex_python_sdk", "id": "x"}}});
        Identity::of(&elixir, Some("override".into())).rewrite(&was, &mut started);
        assert_eq!(started["params"]["thread"]["originator"], "override");
    }

    #[test]
    fn every_equivalence_is_compared_as_the_recorded_spelling() {
        let conversation = [
            python(),
            json!({"method": "initialized"}),
            json!({"id": 2, "method": "thread/start", "params": {"approvalPolicy": "on-request", "model": "gpt-5.5"}}),
            json!({"id": 3, "method": "turn/start", "params": {"input": [{"text": "Hi.", "type": "text"}], "threadId": "t"}}),
        ];
        for e in EQUIVALENCES {
            let mut changed = false;
            let here = Path::new("/home/user/project");
            for msg in &conversation {
                let mut spelled = msg.clone();
                (e.spell)(&mut spelled, here);
                changed |= &spelled != msg;
                without_default_cwd(&mut spelled, here);
                assert_eq!(comparable(&spelled), comparable(msg), "{}: {msg}", e.name);
            }
            assert!(changed, "{} respells nothing", e.name);
        }
    }

    #[test]
    fn null_is_absent_but_where_it_is_a_value() {
        let a = json!({"method": "thread/start", "params": {"model": "m", "cwd": null}});
        let b = json!({"method": "thread/start", "params": {"model": "m"}});
        assert_eq!(comparable(&a), comparable(&b));
        let tier = json!({"method": "thread/start", "params": {"model": "m", "serviceTier": null}});
        assert_ne!(comparable(&tier), comparable(&b));
        let other = json!({"method": "thread/start", "params": {"model": "n"}});
        assert_ne!(comparable(&other), comparable(&b));
    }

    #[test]
    fn only_the_directory_codex_started_in_is_the_default_cwd() {
        let here = Path::new("/home/user/project");
        for (cwd, default) in [
            (".", true),
            ("./", true),
            ("/home/user/project", true),
            ("/home/user/project/", true),
            ("src", false),
            ("..", false),
            ("/home/user", false),
        ] {
            let mut msg = json!({"method": "thread/start", "params": {"cwd": cwd}});
            without_default_cwd(&mut msg, here);
            assert_eq!(msg["params"].get("cwd").is_none(), default, "{cwd}");
        }
        let mut other = json!({"method": "command/exec", "params": {"cwd": "."}});
        without_default_cwd(&mut other, here);
        assert_eq!(other["params"]["cwd"], ".");
    }
}

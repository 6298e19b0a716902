//! The model script format: a scenario's scripted replies, in request order.
//!
//! ```json
//! {"replies": [
//!   {"kind": "function_call", "name": "exec_command", "arguments": {"cmd": "echo ok"}},
//!   {"kind": "message", "text": "done"}
//! ]}
//! ```
//! See `docs/model-scripts.md` for every kind.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value, json};

/// A scripted reply: what to send, after how long, to which requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub bound: Binding,
    pub delay: Duration,
    pub action: Action,
    /// A reply codex may never ask for (a client that leaves before
    /// codex's request): not being taken fails nothing.
    pub optional: bool,
}

/// Which requests may take a reply. A reply with no condition takes any
/// request that no bound reply claims.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Binding {
    /// Only requests for this model (e.g. `codex-auto-review`).
    pub model: Option<String>,
    /// Only requests whose `input` holds this text. A reviewer or other
    /// helper request is known by its prompt where its model name changes
    /// between codex versions.
    pub input_contains: Option<String>,
}

impl Binding {
    pub fn is_bound(&self) -> bool {
        self.model.is_some() || self.input_contains.is_some()
    }

    /// Whether a bound reply may answer the request `body`.
    pub fn takes(&self, body: &Value) -> bool {
        let model_ok = self
            .model
            .as_deref()
            .is_none_or(|m| body.get("model").and_then(Value::as_str) == Some(m));
        let input_ok = self.input_contains.as_deref().is_none_or(|needle| {
            body.get("input")
                .is_some_and(|input| input_texts(input).any(|t| t.contains(needle)))
        });
        self.is_bound() && model_ok && input_ok
    }
}

/// Every string inside a request's `input`, however deep.
fn input_texts(v: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(a) => Box::new(a.iter().flat_map(input_texts)),
        Value::Object(o) => Box::new(o.values().flat_map(input_texts)),
        _ => Box::new(std::iter::empty()),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A `text/event-stream` of output items and how it ends.
    Stream {
        items: Vec<StreamItem>,
        end: StreamEnd,
    },
    /// A plain HTTP error (429, 500, …).
    Http {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    /// Server-sent events exactly as given.
    Raw { events: Vec<Value> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    Completed {
        usage: Value,
    },
    Failed {
        error: Value,
    },
    /// The connection closes before `response.completed`.
    Cut,
}

/// One output item and the pieces its text streams in (a message's text, a
/// reasoning summary, a call's arguments), as the Responses API sends them:
/// the item starts empty, the pieces arrive as deltas, the done event
/// carries the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamItem {
    pub item: Value,
    /// Concatenated, they are the item's text.
    pub chunks: Vec<String>,
}

/// Text streams in pieces of this many grapheme clusters unless a script
/// says otherwise.
pub const DEFAULT_CHUNK_SIZE: usize = 12;

/// A whole script, loaded and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub replies: Vec<Reply>,
    /// Keys of an earlier format that were accepted, each with what to
    /// write instead (`replies[0]: "deltas": true is …`).
    pub deprecations: Vec<String>,
}

/// Keys earlier releases documented, and what became of them: accepted
/// with a warning for at least one release (when the value means what the
/// format now does anyway), else refused with the sentence that says what
/// to write instead.
const DEPRECATED: [(&str, Value, &str); 1] = [(
    "deltas",
    Value::Bool(true),
    "every message now streams its text in deltas (`chunk_size`, `chunks`); remove the key (for one piece, give the whole text as one chunk: \"chunks\": [\"…\"])",
)];

const COMMON: [&str; 5] = ["kind", "delay_ms", "model", "input_contains", "optional"];

impl Script {
    /// Loads `path`; errors name the file and the entry.
    pub fn load(path: &Path) -> Result<Script> {
        let src = std::fs::read(path)
            .with_context(|| format!("reading model script {}", path.display()))?;
        Self::parse(&src).with_context(|| format!("in model script {}", path.display()))
    }

    pub fn parse(src: &[u8]) -> Result<Script> {
        let doc: Value = serde_json::from_slice(src).map_err(|e| anyhow!("not JSON: {e}"))?;
        let Some(obj) = doc.as_object() else {
            bail!("the script must be an object {{\"replies\": [...]}}");
        };
        if let Some(k) = obj.keys().find(|k| *k != "replies") {
            bail!("unknown top-level key {k:?}; only \"replies\" is allowed");
        }
        let Some(Value::Array(entries)) = obj.get("replies") else {
            bail!("\"replies\" must be a list");
        };
        let mut deprecations = Vec::new();
        let replies = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let at = format!("replies[{i}]");
                let e = retire(e, &at, &mut deprecations)?;
                reply(&e).map_err(|err| anyhow!("{at}: {err:#}"))
            })
            .collect::<Result<_>>()?;
        Ok(Script {
            replies,
            deprecations,
        })
    }

    /// The model's own words in this script (message texts and reasoning
    /// summaries): normalisation must leave them as they are.
    pub fn texts(&self) -> Vec<String> {
        self.replies
            .iter()
            .filter_map(|r| match &r.action {
                Action::Stream { items, .. } => Some(items),
                _ => None,
            })
            .flatten()
            .filter(|i| i.item["type"] != "function_call")
            .map(|i| i.chunks.concat())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

fn default_usage() -> Value {
    json!({
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 15
    })
}

fn reply(entry: &Value) -> Result<Reply> {
    let obj = entry
        .as_object()
        .ok_or_else(|| anyhow!("each reply is an object with a \"kind\""))?;
    let kind = str_field(obj, "kind")?;
    let bound = Binding {
        model: opt_str(obj, "model")?,
        input_contains: opt_str(obj, "input_contains")?,
    };
    let delay = Duration::from_millis(match obj.get("delay_ms") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| anyhow!("\"delay_ms\" must be a whole number of milliseconds"))?,
    });
    let optional = match obj.get("optional") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| anyhow!("\"optional\" must be true or false"))?,
    };
    let action = action(kind, obj)?;
    Ok(Reply {
        bound,
        delay,
        action,
        optional,
    })
}

/// What a reply of `kind` does, read from its fields.
fn action(kind: &str, obj: &Map<String, Value>) -> Result<Action> {
    Ok(match kind {
        "message" | "function_call" | "custom_tool_call" | "tool_search_call"
        | "web_search_call" | "reasoning" => {
            allow(obj, &[item_keys(kind), &["usage"]].concat())?;
            Action::Stream {
                items: vec![stream_item(obj)?],
                end: completed(obj)?,
            }
        }
        "items" => {
            allow(obj, &["items", "usage"])?;
            Action::Stream {
                items: items(obj)?,
                end: completed(obj)?,
            }
        }
        "failed" => failed(obj)?,
        "cut" => {
            allow(obj, &["items"])?;
            Action::Stream {
                items: opt_items(obj)?,
                end: StreamEnd::Cut,
            }
        }
        "http_error" => http_error(obj)?,
        "raw" => raw(obj)?,
        other => bail!(
            "unknown kind {other:?}; expected message, function_call, custom_tool_call, tool_search_call, web_search_call, reasoning, items, failed, cut, http_error or raw"
        ),
    })
}

/// A `failed` reply: its items, then `response.failed` with its error.
fn failed(obj: &Map<String, Value>) -> Result<Action> {
    allow(obj, &["items", "error"])?;
    let error = obj
        .get("error")
        .cloned()
        .unwrap_or_else(|| json!({"code": "server_error", "message": "scripted response.failed"}));
    if !error.is_object() {
        bail!("\"error\" must be an object such as {{\"code\": …, \"message\": …}}");
    }
    Ok(Action::Stream {
        items: opt_items(obj)?,
        end: StreamEnd::Failed { error },
    })
}

/// An `http_error` reply: a status, a body and headers instead of a stream.
fn http_error(obj: &Map<String, Value>) -> Result<Action> {
    allow(obj, &["status", "body", "headers"])?;
    let status = obj
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| (400..600).contains(s))
        .ok_or_else(|| anyhow!("http_error needs \"status\" between 400 and 599"))?;
    let headers = match obj.get("headers") {
        None => Vec::new(),
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_string()))
                    .ok_or_else(|| anyhow!("header {k:?} must be a string"))
            })
            .collect::<Result<_>>()?,
        Some(_) => bail!("\"headers\" must be an object of strings"),
    };
    Ok(Action::Http {
        status: status as u16,
        body: obj.get("body").cloned().unwrap_or_else(
            || json!({"error": {"message": "scripted error", "type": "server_error"}}),
        ),
        headers,
    })
}

/// A `raw` reply: SSE events sent as they are written.
fn raw(obj: &Map<String, Value>) -> Result<Action> {
    allow(obj, &["events"])?;
    let Some(Value::Array(events)) = obj.get("events") else {
        bail!("raw needs \"events\": a list of SSE event objects");
    };
    for (i, e) in events.iter().enumerate() {
        if e.get("type").and_then(Value::as_str).is_none() {
            bail!("events[{i}] needs a string \"type\"");
        }
    }
    Ok(Action::Raw {
        events: events.clone(),
    })
}

fn item_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "message" => &["text", "id", "chunks", "chunk_size", "split_graphemes"],
        "function_call" => &[
            "name",
            "namespace",
            "arguments",
            "call_id",
            "id",
            "chunks",
            "chunk_size",
            "split_graphemes",
        ],
        "custom_tool_call" => &[
            "name",
            "input",
            "call_id",
            "id",
            "chunks",
            "chunk_size",
            "split_graphemes",
        ],
        "tool_search_call" => &["arguments", "call_id", "id"],
        "web_search_call" => &["query", "id"],
        _ => &["summary", "id", "chunks", "chunk_size", "split_graphemes"],
    }
}

/// An item and the pieces its text streams in.
fn stream_item(obj: &Map<String, Value>) -> Result<StreamItem> {
    let item = item(obj)?;
    let text = match item["type"].as_str() {
        Some("message") => &item["content"][0]["text"],
        Some("reasoning") => &item["summary"][0]["text"],
        Some("custom_tool_call") => &item["input"],
        Some("tool_search_call" | "web_search_call") => &Value::Null,
        _ => &item["arguments"],
    }
    .as_str()
    .unwrap_or_default()
    .to_string();
    Ok(StreamItem {
        chunks: chunks(obj, &text)?,
        item,
    })
}

/// The pieces `text` streams in: `chunks` as given (they must make up the
/// text), or pieces of `chunk_size` grapheme clusters (of characters, with
/// `split_graphemes: true`, so a piece may end inside a cluster).
fn chunks(obj: &Map<String, Value>, text: &str) -> Result<Vec<String>> {
    use unicode_segmentation::UnicodeSegmentation;
    if let Some(given) = obj.get("chunks") {
        if obj.contains_key("chunk_size") {
            bail!("give \"chunks\" or \"chunk_size\", not both");
        }
        let Some(list) = given.as_array() else {
            bail!("\"chunks\" must be a list of strings");
        };
        let pieces: Vec<String> = list
            .iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| anyhow!("\"chunks\" must be a list of strings"))?;
        if pieces.concat() != text {
            bail!(
                "\"chunks\" must make up the text exactly: {:?} is not {text:?}",
                pieces.concat()
            );
        }
        return Ok(pieces);
    }
    let size = match obj.get("chunk_size") {
        None => DEFAULT_CHUNK_SIZE,
        Some(v) => v
            .as_u64()
            .filter(|n| *n >= 1)
            .ok_or_else(|| anyhow!("\"chunk_size\" must be a whole number of at least 1"))?
            as usize,
    };
    let units: Vec<&str> = if bool_field(obj, "split_graphemes")? {
        text.char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect()
    } else {
        text.graphemes(true).collect()
    };
    Ok(units.chunks(size).map(|c| c.concat()).collect())
}

/// Builds a Responses API output item from its short form.
fn item(obj: &Map<String, Value>) -> Result<Value> {
    Ok(match str_field(obj, "kind")? {
        "message" => json!({
            "type": "message",
            "role": "assistant",
            "id": opt_str(obj, "id")?.unwrap_or_else(|| "msg_1".into()),
            "status": "completed",
            "content": [{"type": "output_text", "text": str_field(obj, "text")?, "annotations": [], "logprobs": []}]
        }),
        "function_call" => {
            let arguments = match obj.get("arguments") {
                None => "{}".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(v @ Value::Object(_)) => v.to_string(),
                Some(_) => bail!("\"arguments\" must be an object or a JSON string"),
            };
            let mut call = json!({
                "type": "function_call",
                "id": opt_str(obj, "id")?.unwrap_or_else(|| "fc_1".into()),
                "call_id": opt_str(obj, "call_id")?.unwrap_or_else(|| "call_1".into()),
                "name": str_field(obj, "name")?,
                "arguments": arguments,
                "status": "completed"
            });
            // A tool that a tool search loaded is called in its namespace.
            if let Some(namespace) = opt_str(obj, "namespace")? {
                call["namespace"] = json!(namespace);
            }
            call
        }
        "web_search_call" => json!({
            "type": "web_search_call",
            "id": opt_str(obj, "id")?.unwrap_or_else(|| "ws_1".into()),
            "status": "completed",
            "action": {"type": "search", "query": str_field(obj, "query")?}
        }),
        "tool_search_call" => {
            let Some(arguments @ Value::Object(_)) = obj.get("arguments") else {
                bail!("tool_search_call needs \"arguments\": an object such as {{\"query\": …}}");
            };
            json!({
                "type": "tool_search_call",
                "id": opt_str(obj, "id")?.unwrap_or_else(|| "ts_1".into()),
                "call_id": opt_str(obj, "call_id")?.unwrap_or_else(|| "call_1".into()),
                "execution": "client",
                "arguments": arguments,
                "status": "completed"
            })
        }
        "custom_tool_call" => json!({
            "type": "custom_tool_call",
            "id": opt_str(obj, "id")?.unwrap_or_else(|| "ctc_1".into()),
            "call_id": opt_str(obj, "call_id")?.unwrap_or_else(|| "call_1".into()),
            "name": str_field(obj, "name")?,
            "input": str_field(obj, "input")?,
            "status": "completed"
        }),
        "reasoning" => json!({
            "type": "reasoning",
            "id": opt_str(obj, "id")?.unwrap_or_else(|| "rs_1".into()),
            "summary": [{"type": "summary_text", "text": str_field(obj, "summary")?}]
        }),
        other => bail!(
            "item kind {other:?} is not message, function_call, custom_tool_call, tool_search_call, web_search_call or reasoning"
        ),
    })
}

fn items(obj: &Map<String, Value>) -> Result<Vec<StreamItem>> {
    let list = opt_items(obj)?;
    if list.is_empty() {
        bail!("\"items\" needs at least one item");
    }
    Ok(list)
}

fn opt_items(obj: &Map<String, Value>) -> Result<Vec<StreamItem>> {
    match obj.get("items") {
        None => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let obj = v.as_object().ok_or_else(|| anyhow!("must be an object"));
                obj.and_then(|o| {
                    allow_only(o, &[item_keys(str_field(o, "kind")?), &["kind"]].concat())?;
                    stream_item(o)
                })
                .with_context(|| format!("items[{i}]"))
            })
            .collect(),
        Some(_) => bail!("\"items\" must be a list"),
    }
}

fn completed(obj: &Map<String, Value>) -> Result<StreamEnd> {
    let usage = match obj.get("usage") {
        None => default_usage(),
        Some(u @ Value::Object(_)) => u.clone(),
        Some(_) => bail!("\"usage\" must be an object"),
    };
    Ok(StreamEnd::Completed { usage })
}

/// `entry` (and the entries of its `items`) without the deprecated keys it
/// may still carry, each noted; a deprecated key whose value the format no
/// longer means is refused, saying what to write.
fn retire(entry: &Value, at: &str, notes: &mut Vec<String>) -> Result<Value> {
    let mut entry = entry.clone();
    let Value::Object(obj) = &mut entry else {
        return Ok(entry);
    };
    for (key, accepted, instead) in &DEPRECATED {
        match obj.remove(*key) {
            None => {}
            Some(v) if v == *accepted => {
                notes.push(format!("{at}: \"{key}\": {v} is deprecated: {instead}"))
            }
            Some(v) => bail!("{at}: \"{key}\": {v} is no longer supported: {instead}"),
        }
    }
    if let Some(Value::Array(items)) = obj.get_mut("items") {
        for (i, item) in items.iter_mut().enumerate() {
            *item = retire(item, &format!("{at}: items[{i}]"), notes)?;
        }
    }
    Ok(entry)
}

fn allow(obj: &Map<String, Value>, keys: &[&str]) -> Result<()> {
    allow_only(obj, &[keys, &COMMON].concat())
}

fn allow_only(obj: &Map<String, Value>, keys: &[&str]) -> Result<()> {
    match obj.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => bail!(
            "unknown key {k:?} for kind {:?}; allowed: {}",
            obj.get("kind").and_then(Value::as_str).unwrap_or("?"),
            keys.join(", ")
        ),
        None => Ok(()),
    }
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("needs a string {key:?}"))
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => bail!("{key:?} must be a string"),
    }
}

fn bool_field(obj: &Map<String, Value>, key: &str) -> Result<bool> {
    match obj.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => bail!("{key:?} must be true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Script> {
        Script::parse(src.as_bytes())
    }

    #[test]
    fn a_deprecated_key_is_accepted_with_what_to_write_or_refused_saying_it() {
        let s = parse(r#"{"replies": [{"kind": "message", "text": "hi", "deltas": true}, {"kind": "items", "items": [{"kind": "message", "text": "t", "deltas": true}]}]}"#).unwrap();
        assert_eq!(
            s.deprecations,
            [
                "replies[0]: \"deltas\": true is deprecated: every message now streams its text in deltas (`chunk_size`, `chunks`); remove the key (for one piece, give the whole text as one chunk: \"chunks\": [\"…\"])",
                "replies[1]: items[0]: \"deltas\": true is deprecated: every message now streams its text in deltas (`chunk_size`, `chunks`); remove the key (for one piece, give the whole text as one chunk: \"chunks\": [\"…\"])",
            ]
        );
        assert_eq!(s.replies, parse(r#"{"replies": [{"kind": "message", "text": "hi"}, {"kind": "items", "items": [{"kind": "message", "text": "t"}]}]}"#).unwrap().replies);
        let err = parse(r#"{"replies": [{"kind": "message", "text": "hi", "deltas": false}]}"#)
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "replies[0]: \"deltas\": false is no longer supported: every message now streams"
            ),
            "{err}"
        );
    }

    #[test]
    fn every_kind_parses() {
        let s = parse(
            r#"{"replies": [
              {"kind": "message", "text": "hi"},
              {"kind": "function_call", "name": "exec_command", "arguments": {"cmd": "echo"}, "call_id": "c1"},
              {"kind": "reasoning", "summary": "thinking", "model": "m", "delay_ms": 5},
              {"kind": "items", "items": [{"kind": "reasoning", "summary": "r"}, {"kind": "message", "text": "t"}], "usage": {"total_tokens": 1}},
              {"kind": "failed", "error": {"code": "server_error", "message": "boom"}},
              {"kind": "cut", "items": [{"kind": "message", "text": "partial"}]},
              {"kind": "http_error", "status": 429, "headers": {"Retry-After": "1"}},
              {"kind": "raw", "events": [{"type": "response.created"}]}
            ]}"#,
        )
        .unwrap();
        assert_eq!(s.replies.len(), 8);
        let Action::Stream { items, .. } = &s.replies[0].action else {
            panic!()
        };
        assert_eq!(items[0].item["content"][0]["text"], "hi");
        assert_eq!(items[0].chunks, ["hi"]);
        let Action::Stream { items, .. } = &s.replies[1].action else {
            panic!()
        };
        assert_eq!(items[0].item["arguments"], "{\"cmd\":\"echo\"}");
        assert_eq!(s.texts(), ["hi", "thinking", "r", "t", "partial"]);
        assert_eq!(s.replies[2].bound.model.as_deref(), Some("m"));
        assert_eq!(s.replies[2].delay, Duration::from_millis(5));
        let Action::Stream { end, .. } = &s.replies[3].action else {
            panic!()
        };
        assert_eq!(
            end,
            &StreamEnd::Completed {
                usage: json!({"total_tokens": 1})
            }
        );
        let Action::Http {
            status, headers, ..
        } = &s.replies[6].action
        else {
            panic!()
        };
        assert_eq!((*status, headers[0].0.as_str()), (429, "Retry-After"));
    }

    #[test]
    fn text_streams_in_pieces_of_grapheme_clusters_unless_told_otherwise() {
        let chunks = |reply: &str| {
            let s = parse(&format!(r#"{{"replies": [{reply}]}}"#)).unwrap();
            let Action::Stream { items, .. } = &s.replies[0].action else {
                panic!()
            };
            items[0].chunks.clone()
        };
        // "é" as e + combining acute, and a family emoji joined with ZWJs.
        let text = "ce\u{301}\u{1F468}\u{200D}\u{1F469}!";
        let msg = |extra: &str| format!(r#"{{"kind": "message", "text": "{text}"{extra}}}"#);
        assert_eq!(
            chunks(&msg(r#", "chunk_size": 1"#)),
            ["c", "e\u{301}", "\u{1F468}\u{200D}\u{1F469}", "!"]
        );
        assert_eq!(
            chunks(&msg(r#", "chunk_size": 2, "split_graphemes": true"#)),
            ["ce", "\u{301}\u{1F468}", "\u{200D}\u{1F469}", "!"]
        );
        assert_eq!(
            chunks(&msg(
                r#", "chunks": ["ce\u0301", "\ud83d\udc68\u200d\ud83d\udc69!"]"#
            ))
            .len(),
            2
        );
        assert_eq!(chunks(&msg("")), [text]);
        let long = "x".repeat(DEFAULT_CHUNK_SIZE * 2 + 1);
        assert_eq!(
            chunks(&format!(r#"{{"kind": "reasoning", "summary": "{long}"}}"#)).len(),
            3
        );
        for (extra, needle) in [
            (r#", "chunks": ["nope"]"#, "must make up the text exactly"),
            (r#", "chunks": ["a"], "chunk_size": 2"#, "not both"),
            (r#", "chunk_size": 0"#, "at least 1"),
        ] {
            let err = format!(
                "{:#}",
                parse(&format!(r#"{{"replies": [{}]}}"#, msg(extra))).unwrap_err()
            );
            assert!(err.contains(needle), "{extra}: {err}");
        }
    }

    #[test]
    fn errors_name_the_entry_and_the_problem() {
        for (src, needle) in [
            (r#"[]"#, "must be an object"),
            (r#"{"replies": [], "x": 1}"#, "unknown top-level key"),
            (
                r#"{"replies": [{"kind": "message"}]}"#,
                "replies[0]: needs a string \"text\"",
            ),
            (
                r#"{"replies": [{"kind": "message", "text": "a"}, {"kind": "nope"}]}"#,
                "replies[1]: unknown kind \"nope\"",
            ),
            (
                r#"{"replies": [{"kind": "message", "text": "a", "colour": 1}]}"#,
                "unknown key \"colour\"",
            ),
            (
                r#"{"replies": [{"kind": "http_error", "status": 200}]}"#,
                "between 400 and 599",
            ),
            (
                r#"{"replies": [{"kind": "items", "items": [{"kind": "message"}]}]}"#,
                "replies[0]: items[0]: needs a string \"text\"",
            ),
            (
                r#"{"replies": [{"kind": "message", "text": "a", "delay_ms": -1}]}"#,
                "whole number",
            ),
            (
                r#"{"replies": [{"kind": "raw", "events": [{}]}]}"#,
                "events[0] needs a string \"type\"",
            ),
            ("{", "not JSON"),
        ] {
            let err = format!("{:#}", parse(src).unwrap_err());
            assert!(err.contains(needle), "{src}: {err}");
        }
    }
}

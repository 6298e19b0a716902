//! Plays a wire transcript back as `codex app-server` would: the recorded
//! server lines are sent in order, and each recorded client line is awaited
//! and compared with what the client actually sends. Ids are mapped: a
//! request's id is the client's own, and the recorded response goes back
//! under it. Any difference ends the play with a readable diff.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::canonical::{Dir, Line, ids, is_uuid};

/// How a play ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Every line was played and the client asked nothing more.
    Played,
    /// The client did something the recording does not have.
    Diverged(String),
}

/// Plays `lines` (of `recording`, for messages) to a client reading
/// `output` and writing `input`.
/// `normalise` brings a received message to the recording's form (paths,
/// times); UUIDs are matched by correspondence instead, since the client
/// makes its own. `patience` bounds each wait for the client.
pub fn play(
    lines: &[Line],
    recording: &str,
    input: impl BufRead + Send + 'static,
    mut output: impl Write,
    normalise: &dyn Fn(Value) -> Result<Value>,
    patience: Duration,
) -> Result<Outcome> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in input.split(b'\n') {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut ids: HashMap<String, Value> = HashMap::new();
    let mut uuids = Correspondence::default();
    for (n, line) in lines.iter().enumerate() {
        let at = n + 1;
        match line.dir {
            Dir::S2c => {
                let mut msg = line.msg.clone();
                if line.is_response() {
                    let recorded = msg["id"].to_string();
                    let live = ids
                        .get(&recorded)
                        .with_context(|| format!("line {at}: a response to request {recorded}, which the recording never asked"))?;
                    msg["id"] = live.clone();
                }
                uuids.give(&line.msg);
                // A client that went away has stopped listening; what it
                // would have read no longer matters.
                if writeln!(output, "{msg}")
                    .and_then(|_| output.flush())
                    .is_err()
                {
                    return Ok(Outcome::Played);
                }
            }
            Dir::C2s => {
                let raw = match rx.recv_timeout(patience) {
                    Ok(raw) => raw,
                    Err(RecvTimeoutError::Timeout) => {
                        return Ok(Outcome::Diverged(format!(
                            "line {at}: the client sent nothing for {} s; the recording expects:\n{}",
                            patience.as_secs(),
                            pretty(&line.msg)
                        )));
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        return Ok(Outcome::Diverged(format!(
                            "line {at}: the client closed its input; the recording expects:\n{}",
                            pretty(&line.msg)
                        )));
                    }
                };
                let received: Value = match serde_json::from_slice(&raw) {
                    Ok(v) => normalise(v)?,
                    Err(e) => {
                        return Ok(Outcome::Diverged(format!(
                            "line {at}: the client sent a line that is not JSON ({e}): {}",
                            String::from_utf8_lossy(&raw)
                        )));
                    }
                };
                if let Some(diff) = difference(&line.msg, &received, &mut uuids) {
                    let why = format!("line {at}: {diff}");
                    // A request is answered with the divergence itself, so
                    // the client's own error names it.
                    if received.get("method").is_some()
                        && let Some(id) = received.get("id")
                    {
                        let message = format!(
                            "codex-harvest replay: the client diverged from {recording}\n{why}"
                        );
                        let error = serde_json::json!({
                            "id": id,
                            "error": {"code": -32600, "message": message},
                        });
                        let _ = writeln!(output, "{error}").and_then(|_| output.flush());
                    }
                    return Ok(Outcome::Diverged(why));
                }
                if line.is_request() {
                    ids.insert(line.msg["id"].to_string(), received["id"].clone());
                }
            }
        }
    }
    match rx.recv_timeout(patience) {
        Ok(raw) => Ok(Outcome::Diverged(format!(
            "after the last line: the client sent more than the recording has:\n{}",
            String::from_utf8_lossy(&raw)
        ))),
        Err(_) => Ok(Outcome::Played),
    }
}

/// The recording's UUIDs against the client's: one the server gave the
/// client must come back as given; one the client made (its request ids)
/// stands for exactly one live one, and back.
#[derive(Default)]
struct Correspondence {
    given: std::collections::HashSet<String>,
    live: HashMap<String, String>,
    recorded: HashMap<String, String>,
}

impl Correspondence {
    /// Notes the UUIDs of a message sent to the client.
    fn give(&mut self, msg: &Value) {
        self.given.extend(ids(msg));
    }

    fn pair(&mut self, recorded: &str, live: &str) -> bool {
        if self.given.contains(recorded) {
            return recorded == live;
        }
        let a = self
            .live
            .entry(recorded.to_string())
            .or_insert_with(|| live.to_string());
        let b = self
            .recorded
            .entry(live.to_string())
            .or_insert_with(|| recorded.to_string());
        a == live && b == recorded
    }
}

/// Why `received` is not the `expected` client line, as a diff; None when
/// it is. A request's id is the client's to choose.
fn difference(expected: &Value, received: &Value, uuids: &mut Correspondence) -> Option<String> {
    let mut want = expected.clone();
    let mut got = received.clone();
    let is_request = expected.get("method").is_some() && expected.get("id").is_some();
    if is_request && got.get("id").is_some() {
        want["id"] = Value::Null;
        got["id"] = Value::Null;
    }
    if same(&want, &got, uuids) {
        return None;
    }
    let (want, got) = (pretty(&want), pretty(&got));
    let diff = similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .header("recorded", "received")
        .to_string();
    Some(format!(
        "the client sent a message the recording does not have here\n{diff}"
    ))
}

fn same(a: &Value, b: &Value, uuids: &mut Correspondence) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if is_uuid(x) && is_uuid(y) => uuids.pair(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y, uuids))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, uuids)))
        }
        _ => a == b,
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a Value always serialises");
    s.push('\n');
    s
}

/// Reads a wire transcript: one [`Line`] per line.
pub fn read(path: &std::path::Path) -> Result<Vec<Line>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        lines.push(serde_json::from_str(raw).with_context(|| {
            format!(
                "{} line {}: not a wire transcript line",
                path.display(),
                i + 1
            )
        })?);
    }
    if lines.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const THREAD: &str = "00000000-0000-7000-8000-000000000001";
    const LIVE: &str = "019a1111-2222-7333-8444-555566667777";

    fn transcript() -> Vec<Line> {
        let line = |dir, msg| Line { dir, msg };
        vec![
            line(
                Dir::C2s,
                json!({"id": "r1", "method": "thread/start", "params": {}}),
            ),
            line(
                Dir::S2c,
                json!({"id": "r1", "result": {"thread": {"id": THREAD}}}),
            ),
            line(
                Dir::C2s,
                json!({"id": "r2", "method": "turn/start", "params": {"threadId": THREAD}}),
            ),
            line(Dir::S2c, json!({"id": "r2", "result": {}})),
        ]
    }

    fn play_with(client: &str) -> (Outcome, String) {
        let mut out = Vec::new();
        let outcome = play(
            &transcript(),
            "t.jsonl",
            std::io::Cursor::new(client.as_bytes().to_vec()),
            &mut out,
            &|v| Ok(v),
            Duration::from_secs(5),
        )
        .unwrap();
        (outcome, String::from_utf8(out).unwrap())
    }

    #[test]
    fn responses_go_back_under_the_clients_ids() {
        let (outcome, sent) = play_with(
            "{\"id\":7,\"method\":\"thread/start\",\"params\":{}}\n{\"id\":8,\"method\":\"turn/start\",\"params\":{\"threadId\":\"00000000-0000-7000-8000-000000000001\"}}\n",
        );
        assert_eq!(outcome, Outcome::Played);
        let ids: Vec<Value> = sent
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone())
            .collect();
        assert_eq!(ids, [json!(7), json!(8)]);
    }

    #[test]
    fn a_given_uuid_comes_back_as_given_and_a_clients_own_pairs_once() {
        let client = format!(
            "{{\"id\":7,\"method\":\"thread/start\",\"params\":{{}}}}\n{{\"id\":8,\"method\":\"turn/start\",\"params\":{{\"threadId\":\"{LIVE}\"}}}}\n"
        );
        let (outcome, _) = play_with(&client);
        let Outcome::Diverged(diff) = outcome else {
            panic!("another thread id than the one given was accepted")
        };
        assert!(
            diff.contains(&format!("+    \"threadId\": \"{LIVE}\"")),
            "{diff}"
        );
        let mut uuids = Correspondence::default();
        assert!(uuids.pair(THREAD, LIVE));
        assert!(!uuids.pair(THREAD, "019a0000-0000-7000-8000-000000000009"));
        assert!(!uuids.pair("00000000-0000-7000-8000-000000000002", LIVE));
    }
}

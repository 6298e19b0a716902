//! The scripted model's HTTP server: a local OpenAI Responses API on
//! 127.0.0.1 that answers each `POST …/responses` with the next scripted
//! reply and records every request.
//!
//! One request per connection (`Connection: close`): a cut stream is then
//! simply a closed socket, and no request waits behind another.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Value, json};

use super::http::{Request, read_request, write_json, write_sse};
use super::script::{Action, Reply, Script};

/// One request as codex sent it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// The index of the scripted reply that answered it, if any.
    pub reply: Option<usize>,
}

/// What happened during a scenario, for checks and debugging.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub requests: Vec<RecordedRequest>,
    /// Indexes of replies no request took (an optional one's not among them).
    pub unplayed: Vec<usize>,
    /// Indexes of optional replies no request took.
    pub skipped: Vec<usize>,
    /// `POST …/responses` requests that found no reply left.
    pub overruns: usize,
    /// Requests the server could not read as codex should send them
    /// (answered 4xx/501): each fails the scenario.
    pub protocol_errors: Vec<String>,
}

impl Transcript {
    /// The request log as JSON Lines.
    pub fn to_jsonl(&self) -> String {
        self.requests
            .iter()
            .map(|r| serde_json::to_string(r).expect("requests serialise") + "\n")
            .collect()
    }
}

struct State {
    played: Vec<bool>,
    requests: Vec<RecordedRequest>,
    overruns: usize,
    protocol_errors: Vec<String>,
}

struct Shared {
    replies: Vec<Reply>,
    state: Mutex<State>,
    stopping: AtomicBool,
}

/// A running scripted model; stop it with [`ScriptedModel::finish`].
pub struct ScriptedModel {
    port: u16,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
    /// Every connection's thread, joined before the verdict: a request
    /// still being read is part of it.
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl ScriptedModel {
    pub fn start(script: Script) -> Result<ScriptedModel> {
        Self::start_after(script, &[])
    }

    /// Starts with the replies `played` already taken: the same script
    /// served across several codex processes (a stand-in started again).
    pub fn start_after(script: Script, played: &[usize]) -> Result<ScriptedModel> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .context("binding the scripted model to 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                played: (0..script.replies.len())
                    .map(|i| played.contains(&i))
                    .collect(),
                requests: Vec::new(),
                overruns: 0,
                protocol_errors: Vec::new(),
            }),
            replies: script.replies,
            stopping: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept_connections = Arc::clone(&connections);
        let acceptor = thread::Builder::new()
            .name("scripted-model".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if accept_shared.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let conn_shared = Arc::clone(&accept_shared);
                    // A connection that errors only affects its own request,
                    // which codex reports as a transport error in the events.
                    let spawned = thread::Builder::new()
                        .name("scripted-model-conn".into())
                        .spawn(move || {
                            let _ = serve(stream, &conn_shared);
                        });
                    if let Ok(handle) = spawned {
                        accept_connections
                            .lock()
                            .expect("connections lock")
                            .push(handle);
                    }
                }
            })
            .context("starting the scripted model thread")?;
        Ok(ScriptedModel {
            port,
            shared,
            acceptor,
            connections,
        })
    }

    /// The Responses API base URL to give codex.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Stops accepting and returns what was served.
    pub fn finish(self) -> Transcript {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let _ = self.acceptor.join();
        let connections = std::mem::take(&mut *self.connections.lock().expect("connections lock"));
        for c in connections {
            let _ = c.join();
        }
        let state = self.shared.state.lock().expect("model state lock");
        Transcript {
            requests: state.requests.clone(),
            unplayed: (0..state.played.len())
                .filter(|&i| !state.played[i] && !self.shared.replies[i].optional)
                .collect(),
            skipped: (0..state.played.len())
                .filter(|&i| !state.played[i] && self.shared.replies[i].optional)
                .collect(),
            overruns: state.overruns,
            protocol_errors: state.protocol_errors.clone(),
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let req = match read_request(&mut reader, &mut out) {
        Ok(Some(req)) => req,
        Ok(None) => return Ok(()),
        Err(refusal) => {
            shared
                .state
                .lock()
                .expect("model state lock")
                .protocol_errors
                .push(format!("{} ({})", refusal.why, refusal.status));
            let message = refusal.why;
            return write_json(
                &mut out,
                refusal.status,
                &json!({"error": {"message": message, "type": "invalid_request_error"}}),
                &[],
            );
        }
    };
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) if req.body.is_empty() => Value::Null,
        Err(_) => Value::String(String::from_utf8_lossy(&req.body).into_owned()),
    };
    let route = req
        .path
        .split('?')
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    if req.method == "POST" && route.ends_with("/responses") {
        let reply = take_reply(shared, &req, body.clone());
        match reply {
            Some(reply) => play(
                &mut out,
                reply,
                shared,
                body["model"].as_str().unwrap_or_default(),
            ),
            None => {
                let msg = "the scripted model has no reply left for this request";
                write_json(
                    &mut out,
                    500,
                    &json!({"error": {"message": msg, "type": "server_error"}}),
                    &[],
                )
            }
        }
    } else {
        shared
            .state
            .lock()
            .expect("model state lock")
            .requests
            .push(recorded(&req, body, None));
        if req.method == "GET" && route.ends_with("/models") {
            write_json(
                &mut out,
                200,
                &json!({"object": "list", "data": [], "models": []}),
                &[],
            )
        } else {
            write_json(
                &mut out,
                404,
                &json!({"error": {"message": "not found"}}),
                &[],
            )
        }
    }
}

fn recorded(req: &Request, body: Value, reply: Option<usize>) -> RecordedRequest {
    RecordedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        headers: req.headers.clone(),
        body,
        reply,
    }
}

/// Picks the first unplayed reply bound to this request, else the first
/// unbound one.
fn take_reply<'a>(shared: &'a Shared, req: &Request, body: Value) -> Option<&'a Reply> {
    let mut state = shared.state.lock().expect("model state lock");
    let free = |i: &usize| !state.played[*i];
    let bound = (0..shared.replies.len())
        .filter(free)
        .find(|&i| shared.replies[i].bound.takes(&body));
    let index = bound.or_else(|| {
        (0..shared.replies.len())
            .filter(free)
            .find(|&i| !shared.replies[i].bound.is_bound())
    });
    match index {
        Some(i) => state.played[i] = true,
        None => state.overruns += 1,
    }
    state.requests.push(recorded(req, body, index));
    index.map(|i| &shared.replies[i])
}

/// Writes `reply` after its delay, as the answer to a request for `model`.
fn play(out: &mut TcpStream, reply: &Reply, shared: &Shared, model: &str) -> Result<()> {
    let deadline = Instant::now() + reply.delay;
    while Instant::now() < deadline {
        if shared.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(20).min(deadline - Instant::now()));
    }
    match &reply.action {
        Action::Http {
            status,
            body,
            headers,
        } => write_json(out, *status, body, headers),
        Action::Raw { .. } | Action::Stream { .. } => write_sse(out, &reply.events(model)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn post(port: u16, body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn script(src: &str) -> Script {
        Script::parse(src.as_bytes()).unwrap()
    }

    /// Sends `head` (and `body`), returns the whole answer.
    fn raw(port: u16, head: &str, body: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn what_cannot_be_read_faithfully_is_refused_and_fails_the_run() {
        let model = ScriptedModel::start(script(r#"{"replies": []}"#)).unwrap();
        let port = model.port;
        for (head, status) in [
            (
                "POST /v1/responses HTTP/1.1\r\nContent-Length: 1099511627776\r\n\r\n",
                "413",
            ),
            (
                "POST /v1/responses HTTP/1.1\r\nTransfer-Encoding: identity, chunked\r\n\r\n",
                "501",
            ),
            (
                "POST /v1/responses HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n",
                "415",
            ),
            (
                "POST /v1/responses HTTP/1.1\r\nno colon here\r\n\r\n",
                "400",
            ),
            ("BROKEN\r\n\r\n", "400"),
        ] {
            let answer = raw(port, head, b"{}");
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{head:?}: {answer}"
            );
        }
        let long_header = format!(
            "GET /v1/models HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(70_000)
        );
        assert!(raw(port, &long_header, b"").starts_with("HTTP/1.1 431 "));
        let t = model.finish();
        assert_eq!(t.protocol_errors.len(), 6, "{:?}", t.protocol_errors);
        assert!(
            t.protocol_errors[0].contains("Content-Length 1099511627776"),
            "{:?}",
            t.protocol_errors
        );
    }

    #[test]
    fn a_bad_chunk_is_refused_without_panicking() {
        let model = ScriptedModel::start(script(r#"{"replies": []}"#)).unwrap();
        let head = "POST /v1/responses HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (body, status, why) in [
            (&b"ffffffffffffffff\r\n"[..], "413", "a chunked body over"),
            (&b"2\r\n{}XX0\r\n\r\n"[..], "400", "not followed by CRLF"),
        ] {
            let answer = raw(model.port, head, body);
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{answer}"
            );
            assert!(answer.contains(why), "{answer}");
        }
        assert_eq!(model.finish().protocol_errors.len(), 2);
    }

    /// A request still being read when the run ends is part of the
    /// verdict: `finish` waits for it.
    #[test]
    fn finish_waits_for_a_request_still_being_read() {
        let model = ScriptedModel::start(script(r#"{"replies": []}"#)).unwrap();
        let mut s = TcpStream::connect(("127.0.0.1", model.port)).unwrap();
        s.write_all(b"POST /v1/responses HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        let late = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            s.write_all(b"zz\r\n").unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
        });
        thread::sleep(Duration::from_millis(50));
        let t = model.finish();
        late.join().unwrap();
        assert_eq!(t.protocol_errors.len(), 1, "{:?}", t.protocol_errors);
        assert!(
            t.protocol_errors[0].contains("bad chunk size"),
            "{:?}",
            t.protocol_errors
        );
    }

    #[test]
    fn expect_100_continue_is_answered_before_the_body() {
        let model = ScriptedModel::start(script(
            r#"{"replies": [{"kind": "message", "text": "one"}]}"#,
        ))
        .unwrap();
        let body = r#"{"model":"gpt"}"#;
        let mut s = TcpStream::connect(("127.0.0.1", model.port)).unwrap();
        write!(
            s,
            "POST /v1/responses HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut interim = [0u8; 25];
        s.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        s.write_all(body.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        let t = model.finish();
        assert!(t.protocol_errors.is_empty() && t.unplayed.is_empty());
    }

    #[test]
    fn plays_replies_in_order_and_records_requests() {
        let model = ScriptedModel::start(script(
            r#"{"replies": [{"kind": "message", "text": "one"}, {"kind": "http_error", "status": 429, "headers": {"Retry-After": "1"}}]}"#,
        ))
        .unwrap();
        let port = model.port;
        let first = post(port, r#"{"model":"gpt"}"#);
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        assert!(first.contains("event: response.created\n"), "{first}");
        assert!(first.contains("\"text\":\"one\""), "{first}");
        let last = first.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("data: ") && last.contains(r#""type":"response.completed""#),
            "{first}"
        );
        let second = post(port, r#"{"model":"gpt"}"#);
        assert!(
            second.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
            "{second}"
        );
        assert!(second.contains("Retry-After: 1\r\n"), "{second}");
        let third = post(port, r#"{"model":"gpt"}"#);
        assert!(third.starts_with("HTTP/1.1 500"), "{third}");
        assert!(third.contains("no reply left"), "{third}");
        let t = model.finish();
        assert_eq!(t.requests.len(), 3);
        assert_eq!(t.requests[0].body["model"], "gpt");
        assert_eq!(
            t.requests.iter().map(|r| r.reply).collect::<Vec<_>>(),
            [Some(0), Some(1), None]
        );
        assert_eq!((t.overruns, t.unplayed.len()), (1, 0));
    }

    #[test]
    fn model_bound_replies_are_taken_by_their_model_only() {
        let model = ScriptedModel::start(script(
            r#"{"replies": [{"kind": "message", "text": "review", "model": "reviewer"}, {"kind": "message", "text": "main"}]}"#,
        ))
        .unwrap();
        let port = model.port;
        assert!(post(port, r#"{"model":"gpt"}"#).contains("\"text\":\"main\""));
        let t = model.finish();
        assert_eq!(t.unplayed, [0]);
    }

    /// An optional reply no request took is skipped, not missed.
    #[test]
    fn an_optional_reply_never_asked_for_fails_nothing() {
        let model = ScriptedModel::start(script(
            r#"{"replies": [{"kind": "message", "text": "first"}, {"kind": "message", "text": "maybe", "optional": true}]}"#,
        ))
        .unwrap();
        assert!(post(model.port, r#"{"model":"gpt"}"#).contains("\"text\":\"first\""));
        let t = model.finish();
        assert_eq!((t.unplayed.len(), t.skipped.as_slice()), (0, &[1][..]));
    }

    #[test]
    fn a_reply_bound_to_a_prompt_is_taken_by_the_request_that_holds_it() {
        let model = ScriptedModel::start(script(
            r#"{"replies": [{"kind": "message", "text": "review", "input_contains": "you are assessing"}, {"kind": "message", "text": "main"}]}"#,
        ))
        .unwrap();
        let port = model.port;
        assert!(
            post(
                port,
                r#"{"model":"gpt","input":[{"content":[{"text":"hello"}]}]}"#
            )
            .contains("\"text\":\"main\"")
        );
        assert!(
            post(
                port,
                r#"{"model":"gpt","input":[{"content":[{"text":"the action you are assessing"}]}]}"#
            )
            .contains("\"text\":\"review\"")
        );
        let t = model.finish();
        assert_eq!(
            t.requests.iter().map(|r| r.reply).collect::<Vec<_>>(),
            [Some(1), Some(0)]
        );
    }
}

//! The scripted model's HTTP server: a local OpenAI Responses API on
//! 127.0.0.1 that answers each `POST …/responses` with the next scripted
//! reply and records every request.
//!
//! One request per connection (`Connection: close`): a cut stream is then
//! simply a closed socket, and no request waits behind another.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Value, json};

use super::script::{Action, Reply, Script, StreamEnd, StreamItem};

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
    /// Indexes of replies no request took.
    pub unplayed: Vec<usize>,
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

/// The request line and headers together may not exceed this.
const MAX_HEAD: u64 = 64 << 10;
/// Nor a body this (a model request is a few hundred KiB at most).
const MAX_BODY: usize = 64 << 20;

/// A request the server refuses: the status it answers and why.
#[derive(Debug)]
struct Refusal {
    status: u16,
    why: String,
}

fn refuse<T>(status: u16, why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        status,
        why: why.into(),
    })
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
                .filter(|&i| !state.played[i])
                .collect(),
            overruns: state.overruns,
            protocol_errors: state.protocol_errors.clone(),
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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
            Some(reply) => play(&mut out, reply, shared),
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

fn play(out: &mut TcpStream, reply: &Reply, shared: &Shared) -> Result<()> {
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
        Action::Raw { events } => write_sse(out, events),
        Action::Stream { items, end } => write_sse(out, &stream_events(items, end)),
    }
}

/// The SSE events of a streamed reply, in order, as the Responses API
/// streams them: each item is announced empty, its text arrives in deltas,
/// and the done events carry the whole.
fn stream_events(items: &[StreamItem], end: &StreamEnd) -> Vec<Value> {
    let id = "resp_1";
    let mut events = vec![json!({"type": "response.created", "response": {"id": id}})];
    for (n, StreamItem { item, chunks }) in items.iter().enumerate() {
        let item_id = &item["id"];
        let mut empty = item.clone();
        match item["type"].as_str() {
            Some("message") => {
                empty["content"] = json!([]);
                empty["status"] = json!("in_progress");
                events.push(
                    json!({"type": "response.output_item.added", "output_index": n, "item": empty}),
                );
                let at = json!({"item_id": item_id, "output_index": n, "content_index": 0});
                stream_text(
                    &mut events,
                    &at,
                    ["response.content_part", "response.output_text"],
                    |text| json!({"type": "output_text", "text": text, "annotations": []}),
                    chunks,
                );
            }
            Some("reasoning") => {
                empty["summary"] = json!([]);
                events.push(
                    json!({"type": "response.output_item.added", "output_index": n, "item": empty}),
                );
                let at = json!({"item_id": item_id, "output_index": n, "summary_index": 0});
                stream_text(
                    &mut events,
                    &at,
                    [
                        "response.reasoning_summary_part",
                        "response.reasoning_summary_text",
                    ],
                    |text| json!({"type": "summary_text", "text": text}),
                    chunks,
                );
            }
            _ => {
                empty["arguments"] = json!("");
                empty["status"] = json!("in_progress");
                events.push(
                    json!({"type": "response.output_item.added", "output_index": n, "item": empty}),
                );
                let at = json!({"item_id": item_id, "output_index": n});
                let text = chunks.concat();
                for delta in chunks {
                    events.push(merged(
                        &at,
                        json!({"type": "response.function_call_arguments.delta", "delta": delta}),
                    ));
                }
                events.push(merged(
                    &at,
                    json!({"type": "response.function_call_arguments.done", "arguments": text}),
                ));
            }
        }
        events.push(json!({"type": "response.output_item.done", "output_index": n, "item": item}));
    }
    match end {
        StreamEnd::Completed { usage } => events
            .push(json!({"type": "response.completed", "response": {"id": id, "usage": usage}})),
        StreamEnd::Failed { error } => {
            events.push(json!({"type": "response.failed", "response": {"id": id, "error": error}}))
        }
        StreamEnd::Cut => {}
    }
    events
}

/// One text part streamed: `<part>.added` (empty), a `<text>.delta` per
/// chunk, `<text>.done` with the whole, `<part>.done`; each event placed by
/// the fields of `at`.
fn stream_text(
    events: &mut Vec<Value>,
    at: &Value,
    [part_events, text_events]: [&str; 2],
    part: impl Fn(&str) -> Value,
    chunks: &[String],
) {
    let text = chunks.concat();
    events.push(merged(
        at,
        json!({"type": format!("{part_events}.added"), "part": part("")}),
    ));
    for delta in chunks {
        events.push(merged(
            at,
            json!({"type": format!("{text_events}.delta"), "delta": delta}),
        ));
    }
    events.push(merged(
        at,
        json!({"type": format!("{text_events}.done"), "text": text}),
    ));
    events.push(merged(
        at,
        json!({"type": format!("{part_events}.done"), "part": part(&text)}),
    ));
}

/// `event` with the fields of `at` (where in the response it belongs).
fn merged(at: &Value, mut event: Value) -> Value {
    for (k, v) in at.as_object().expect("an object") {
        event[k] = v.clone();
    }
    event
}

fn write_sse(out: &mut TcpStream, events: &[Value]) -> Result<()> {
    let mut body = String::new();
    for e in events {
        let kind = e["type"].as_str().unwrap_or("message");
        body.push_str(&format!("event: {kind}\ndata: {e}\n\n"));
    }
    // No Content-Length: the body ends when the connection closes, which is
    // also how a cut stream ends (just earlier).
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    out.shutdown(Shutdown::Both)?;
    Ok(())
}

fn write_json(
    out: &mut TcpStream,
    status: u16,
    body: &Value,
    headers: &[(String, String)],
) -> Result<()> {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    out.shutdown(Shutdown::Both)?;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads one request. What codex would never send, and what could not be
/// stored faithfully, is refused rather than guessed at: an oversized head
/// or body, a transfer coding other than plain `chunked`, a compressed body,
/// both a length and a transfer coding. `Expect: 100-continue` is answered.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> Result<Option<Request>, Refusal> {
    let mut head_left = MAX_HEAD;
    let mut line = String::new();
    if read_head_line(reader, &mut head_left, &mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return refuse(400, format!("malformed request line {:?}", line.trim_end()));
    };
    if !version.starts_with("HTTP/1.") {
        return refuse(400, format!("unsupported protocol {version:?}"));
    }
    let (method, path) = (method.to_string(), path.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if read_head_line(reader, &mut head_left, &mut h)? == 0 {
            return refuse(400, "the connection closed inside the headers");
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((k, v)) = h.split_once(':') else {
            return refuse(400, format!("malformed header {h:?}"));
        };
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if let Some(coding) = req.header("content-encoding")
        && !coding.eq_ignore_ascii_case("identity")
    {
        return refuse(
            415,
            format!("Content-Encoding {coding:?}: a compressed body would be recorded lossily"),
        );
    }
    let chunked = match req.header("transfer-encoding") {
        None => false,
        Some(t) if t.eq_ignore_ascii_case("chunked") => true,
        Some(t) => return refuse(501, format!("Transfer-Encoding {t:?} is not supported")),
    };
    let length = match req.header("content-length") {
        None => None,
        Some(_) if chunked => {
            return refuse(400, "both Content-Length and Transfer-Encoding");
        }
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => Some(n),
            Ok(n) => return refuse(413, format!("Content-Length {n} is over {MAX_BODY}")),
            Err(_) => return refuse(400, format!("bad Content-Length {l:?}")),
        },
    };
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|_| out.flush())
            .or_else(|e| refuse(400, format!("answering 100-continue: {e}")))?;
    }
    if chunked {
        req.body = read_chunked(reader)?;
    } else if let Some(len) = length {
        req.body = vec![0; len];
        if let Err(e) = reader.read_exact(&mut req.body) {
            return refuse(400, format!("the body ended before Content-Length: {e}"));
        }
    }
    Ok(Some(req))
}

/// One line of the request head, counted against what is left of its limit.
fn read_head_line(
    reader: &mut BufReader<TcpStream>,
    left: &mut u64,
    line: &mut String,
) -> Result<usize, Refusal> {
    let n = reader
        .by_ref()
        .take(*left)
        .read_line(line)
        .or_else(|e| refuse(400, format!("reading the request head: {e}")))?;
    *left -= n as u64;
    if *left == 0 {
        return refuse(431, format!("the request head is over {MAX_HEAD} bytes"));
    }
    Ok(n)
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        let mut left = MAX_HEAD;
        read_head_line(reader, &mut left, &mut size)?;
        let Ok(size) = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
        else {
            return refuse(400, format!("bad chunk size {:?}", size.trim()));
        };
        if size > MAX_BODY - body.len() {
            return refuse(413, format!("a chunked body over {MAX_BODY} bytes"));
        }
        let mut chunk = vec![0; size + 2];
        if let Err(e) = reader.read_exact(&mut chunk) {
            return refuse(400, format!("a chunk ended early: {e}"));
        }
        if &chunk[size..] != b"\r\n" {
            return refuse(400, "a chunk is not followed by CRLF");
        }
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn stream_endings() {
        let items = [StreamItem {
            item: json!({"type": "message", "id": "m", "content": [{"type": "output_text", "text": "xy"}]}),
            chunks: vec!["x".into(), "y".into()],
        }];
        let kinds = |end| {
            stream_events(&items, &end)
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(StreamEnd::Completed { usage: json!({}) }),
            [
                "response.created",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed"
            ]
        );
        let events = stream_events(&items, &StreamEnd::Cut);
        assert_eq!(
            events[1]["item"]["content"],
            json!([]),
            "the item starts empty"
        );
        assert_eq!(events[5]["text"], "xy");
        assert_eq!(events[7]["item"]["content"][0]["text"], "xy");
        assert_eq!(
            kinds(StreamEnd::Cut).last().unwrap(),
            "response.output_item.done"
        );
        assert_eq!(
            kinds(StreamEnd::Failed { error: json!({}) })
                .last()
                .unwrap(),
            "response.failed"
        );
    }
}

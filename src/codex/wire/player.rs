//! Plays a wire transcript back as `codex app-server` would: the recorded
//! server lines are sent in order, and each recorded client line is awaited
//! and compared with what the client actually sends. Ids are mapped: a
//! request's id is the client's own, and the recorded response goes back
//! under it. Any difference ends the play with a readable diff.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::base::json::sorted;
use crate::base::patient_write::{PatientWriter, Sent};

use super::canonical::{Dir, Line, ids, is_uuid};
use super::identity::{EXPERIMENTAL_ONLY, Identity, comparable};

/// How a play ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Every line was played and the client asked nothing more.
    Played,
    /// The client did something the recording does not have.
    Diverged(String),
}

/// The longest line a client may send: a longer one (a stream without
/// newlines) is a divergence, not a reason to grow without bound.
pub const MAX_LINE: usize = 16 << 20;

/// How much of a client's line a message shows.
const SHOWN: usize = 2000;

/// Plays `lines` (of `recording`, for messages) to a client reading
/// `output` and writing `input`.
/// `normalise` brings a received message to the recording's form (paths,
/// times); UUIDs are matched by correspondence instead, since the client
/// makes its own. `patience` bounds each wait for the client, to write and
/// to read alike. The client may be another than the recorded one
/// (`identity`): what codex echoes of it is said to it in its own name, and
/// `originator` is the override its environment gives codex.
pub fn play(
    lines: &[Line],
    recording: &str,
    input: impl BufRead + Send + 'static,
    output: impl Write + Send + 'static,
    normalise: &dyn Fn(Value) -> Result<Value>,
    patience: Duration,
    originator: Option<String>,
) -> Result<Outcome> {
    let mut play = Play {
        recording,
        rx: reader(input),
        writer: PatientWriter::start(output),
        listening: true,
        clients: None,
        ids: HashMap::new(),
        uuids: Correspondence::default(),
        normalise,
        patience,
        originator,
    };
    for (n, line) in lines.iter().enumerate() {
        let at = n + 1;
        let ended = match line.dir {
            Dir::S2c => play.send(at, line)?,
            Dir::C2s => play.receive(at, line)?,
        };
        if let Some(outcome) = ended {
            return Ok(outcome);
        }
    }
    match play.rx.recv_timeout(patience) {
        Ok(Ok(raw)) => Ok(Outcome::Diverged(format!(
            "after the last line: the client sent more than the recording has:\n{}",
            shown(&raw)
        ))),
        Ok(Err(why)) => Ok(Outcome::Diverged(format!("after the last line: {why}"))),
        Err(_) => Ok(Outcome::Played),
    }
}

/// A play under way: the client's two pipes, and what has been learnt of
/// it so far.
struct Play<'a> {
    recording: &'a str,
    rx: mpsc::Receiver<Result<Vec<u8>, String>>,
    writer: PatientWriter,
    /// The client still reads: a client that stopped reading may still
    /// send what the recording expects of it.
    listening: bool,
    /// The recorded client and this one, once this one has introduced itself.
    clients: Option<(Identity, Identity)>,
    /// A recorded request's id to the id the client gave it.
    ids: HashMap<String, Value>,
    uuids: Correspondence,
    normalise: &'a dyn Fn(Value) -> Result<Value>,
    patience: Duration,
    originator: Option<String>,
}

impl Play<'_> {
    /// Sends recorded server line `at`; the outcome, if the play ends here.
    fn send(&mut self, at: usize, line: &Line) -> Result<Option<Outcome>> {
        let mut msg = line.msg.clone();
        if line.is_response() {
            let recorded = msg["id"].to_string();
            let live = self.ids.get(&recorded).with_context(|| {
                format!(
                    "line {at}: a response to request {recorded}, which the recording never asked"
                )
            })?;
            msg["id"] = live.clone();
        }
        self.uuids.give(&line.msg);
        if let Some((recorded, live)) = &self.clients {
            let method = line.msg.get("method").and_then(Value::as_str);
            if recorded.experimental
                && !live.experimental
                && method.is_some_and(|m| EXPERIMENTAL_ONLY.contains(&m))
            {
                return Ok(None);
            }
            live.rewrite(recorded, &mut msg);
        }
        if !self.listening {
            return Ok(None);
        }
        Ok(match self.writer.send(format!("{msg}\n"), self.patience) {
            Sent::Yes => None,
            // The play goes on without writing, and ends in a divergence
            // only if the client does not send what the recording expects.
            Sent::Closed => {
                self.listening = false;
                None
            }
            Sent::Stuck => Some(Outcome::Diverged(format!(
                "line {at}: the client read nothing for {} s (its input pipe is full); the recording was sending:\n{}",
                self.patience.as_secs(),
                shown(msg.to_string().as_bytes())
            ))),
        })
    }

    /// Awaits recorded client line `at` and compares what the client sends
    /// with it; the outcome, if the play ends here.
    fn receive(&mut self, at: usize, line: &Line) -> Result<Option<Outcome>> {
        let received = match self.next_message(at, line)? {
            Ok(received) => received,
            Err(why) => return Ok(Some(Outcome::Diverged(why))),
        };
        if line.msg.get("method").and_then(Value::as_str) == Some("initialize") {
            let recorded = Identity::of(&line.msg, None);
            let live = Identity::of(&received, self.originator.clone());
            if live.experimental && !recorded.experimental {
                return Ok(Some(Outcome::Diverged(format!(
                    "line {at}: the client asks for capabilities.experimentalApi, which the recorded client did not: codex would send it notifications the recording does not have"
                ))));
            }
            self.clients = Some((recorded, live));
        }
        let (want, got) = (comparable(&line.msg), comparable(&received));
        if let Some(diff) = difference(&want, &got, &mut self.uuids) {
            let why = format!("line {at}: {diff}");
            self.answer_with(&received, &why);
            return Ok(Some(Outcome::Diverged(why)));
        }
        if line.is_request() {
            self.ids
                .insert(line.msg["id"].to_string(), received["id"].clone());
        }
        Ok(None)
    }

    /// The client's next message, normalised; or why there is none.
    fn next_message(&mut self, at: usize, line: &Line) -> Result<Result<Value, String>> {
        let raw = match self.rx.recv_timeout(self.patience) {
            Ok(Ok(raw)) => raw,
            Ok(Err(why)) => return Ok(Err(format!("line {at}: {why}"))),
            Err(RecvTimeoutError::Timeout) => {
                return Ok(Err(format!(
                    "line {at}: the client sent nothing for {} s; the recording expects:\n{}",
                    self.patience.as_secs(),
                    pretty(&line.msg)
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Ok(Err(format!(
                    "line {at}: the client closed its input; the recording expects:\n{}",
                    pretty(&line.msg)
                )));
            }
        };
        match serde_json::from_slice(&raw) {
            Ok(v) => Ok(Ok((self.normalise)(v)?)),
            Err(e) => Ok(Err(format!(
                "line {at}: the client sent a line that is not JSON ({e}): {}",
                shown(&raw)
            ))),
        }
    }

    /// Answers a diverging request with the divergence itself, so that the
    /// client's own error names it.
    fn answer_with(&mut self, received: &Value, why: &str) {
        if received.get("method").is_some()
            && let Some(id) = received.get("id")
        {
            let message = format!(
                "codex-harvest replay: the client diverged from {}\n{why}",
                self.recording
            );
            let error = serde_json::json!({
                "id": id,
                "error": {"code": -32600, "message": message},
            });
            let _ = self.writer.send(format!("{error}\n"), self.patience);
        }
    }
}

/// The client's lines, each at most [`MAX_LINE`] bytes, on a channel; a
/// longer one ends the reading with the reason.
fn reader(mut input: impl BufRead + Send + 'static) -> mpsc::Receiver<Result<Vec<u8>, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        loop {
            let mut line = Vec::new();
            let read = (&mut input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line);
            match read {
                Ok(0) | Err(_) => break,
                Ok(_) if line.len() > MAX_LINE => {
                    let _ = tx.send(Err(format!(
                        "the client sent a line over {} MiB without a newline",
                        MAX_LINE >> 20
                    )));
                    break;
                }
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    if tx.send(Ok(line)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// A client's bytes as a message may show them: control characters
/// escaped (nothing a client sends reaches the terminal raw), at most
/// [`SHOWN`] characters.
pub fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(SHOWN)
        .flat_map(|c| match c.is_control() {
            true => c.escape_default().collect::<Vec<_>>(),
            false => vec![c],
        })
        .collect();
    let total = text.chars().count();
    if total > SHOWN {
        out.push_str(&format!(" … [{} more characters]", total - SHOWN));
    }
    out
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
        "the client sent a message the recording does not have here\n{}",
        cut(&diff)
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

/// A diff as a message may show it: at most [`MAX_DIFF_LINES`] lines, each
/// at most [`SHOWN`] characters.
fn cut(diff: &str) -> String {
    let mut out = String::new();
    for (i, line) in diff.lines().enumerate() {
        if i == MAX_DIFF_LINES {
            let more = diff.lines().count() - i;
            out.push_str(&format!("… [{more} more lines]\n"));
            break;
        }
        out.push_str(&shown(line.as_bytes()));
        out.push('\n');
    }
    out
}

const MAX_DIFF_LINES: usize = 200;

/// `v` pretty, its keys sorted: two messages that differ only in the
/// order of their keys read alike, so a diff shows only what differs.
fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).expect("a Value always serialises");
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

    fn request(id: u64) -> Line {
        serde_json::from_value(
            json!({"dir": "c2s", "msg": {"id": id, "method": "initialize", "params": {}}}),
        )
        .unwrap()
    }

    fn response(id: u64, payload: &str) -> Line {
        serde_json::from_value(json!({"dir": "s2c", "msg": {"id": id, "result": {"p": payload}}}))
            .unwrap()
    }

    fn identity(v: Value) -> Result<Value> {
        Ok(v)
    }

    /// A client that sends its request and never reads is told so after the
    /// patience, instead of stalling replay on a full pipe for ever.
    #[test]
    fn a_client_that_never_reads_is_a_divergence_after_the_patience() {
        let big = "x".repeat(200_000);
        let lines = [request(1), response(1, &big), request(2)];
        let (_keep_unread, output) = std::io::pipe().unwrap();
        let input =
            std::io::Cursor::new(b"{\"id\":7,\"method\":\"initialize\",\"params\":{}}\n".to_vec());
        let outcome = play(
            &lines,
            "r.jsonl",
            input,
            output,
            &identity,
            Duration::from_millis(300),
            None,
        )
        .unwrap();
        let Outcome::Diverged(why) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            why.starts_with("line 2: the client read nothing for 0 s"),
            "{why}"
        );
        assert!(
            why.len() < 3000,
            "the 200 KB line is cut: {} bytes",
            why.len()
        );
    }

    #[test]
    fn a_line_without_end_is_refused_at_its_bound() {
        let lines = [request(1)];
        let input = std::io::BufReader::new(std::io::repeat(0).take(MAX_LINE as u64 + 10));
        let outcome = play(
            &lines,
            "r.jsonl",
            input,
            std::io::sink(),
            &identity,
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        assert_eq!(
            outcome,
            Outcome::Diverged(
                "line 1: the client sent a line over 16 MiB without a newline".into()
            )
        );
    }

    /// A client that closes both pipes while it still had to speak did not
    /// finish; one that only stopped reading may still send the rest.
    #[test]
    fn a_client_that_goes_away_early_is_a_divergence() {
        let lines = [request(1), response(1, "a"), request(2), response(2, "b")];
        let input =
            std::io::Cursor::new(b"{\"id\":1,\"method\":\"initialize\",\"params\":{}}\n".to_vec());
        let (reader, output) = std::io::pipe().unwrap();
        drop(reader);
        let outcome = play(
            &lines,
            "r.jsonl",
            input,
            output,
            &identity,
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        let Outcome::Diverged(why) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            why.starts_with("line 3: the client closed its input; the recording expects:"),
            "{why}"
        );
        let input = std::io::Cursor::new(b"{\"id\":1,\"method\":\"initialize\",\"params\":{}}\n{\"id\":2,\"method\":\"initialize\",\"params\":{}}\n".to_vec());
        let (reader, output) = std::io::pipe().unwrap();
        drop(reader);
        let done = play(
            &lines[..4],
            "r.jsonl",
            input,
            output,
            &identity,
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        assert_eq!(done, Outcome::Played);
    }

    #[test]
    fn what_a_client_sent_is_shown_escaped_and_cut() {
        assert_eq!(shown(b"a\x1b[31mb\0c"), "a\\u{1b}[31mb\\u{0}c");
        let long = shown(&vec![b'y'; 100_000]);
        assert!(
            long.ends_with(" … [98000 more characters]"),
            "{}",
            &long[long.len() - 40..]
        );
    }

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

    /// What the client reads, kept where the test can see it.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn play_with(client: &str) -> (Outcome, String) {
        let out = Shared::default();
        let outcome = play(
            &transcript(),
            "t.jsonl",
            std::io::Cursor::new(client.as_bytes().to_vec()),
            out.clone(),
            &|v| Ok(v),
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        (outcome, text)
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

    /// Issue 35, item 7: keys in another order are no difference, and
    /// where a message does differ the diff shows only what does.
    #[test]
    fn a_diff_shows_what_differs_not_the_order_of_keys() {
        let client = "{\"params\":{},\"method\":\"thread/start\",\"id\":7}\n{\"params\":{\"threadId\":\"00000000-0000-7000-8000-000000000001\",\"input\":1},\"id\":8,\"method\":\"turn/start\"}\n";
        let (outcome, _) = play_with(client);
        let Outcome::Diverged(diff) = outcome else {
            panic!("an extra param was accepted")
        };
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        assert_eq!(changed, ["+    \"input\": 1,"], "{diff}");
    }
}

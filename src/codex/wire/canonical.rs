//! One process's logged conversation in an order timing cannot change.
//!
//! The tap logs lines as they arrive, and two races make that order vary
//! from run to run (measured, codex 0.163.0): a client request crossing a
//! notification the server sends for the previous one (`turn/start` vs
//! `thread/started`), and the server's own response racing the first
//! notification of what it started (`turn/start`'s response vs
//! `turn/started`). Codex also sends thread-level notifications from a
//! global queue whose place against everything else varies. Codex 0.144.4
//! (measured: once in eight runs of its tree) sends `thread/started` even
//! after its response to the next request, the `turn/start` that followed.
//!
//! So the canonical order is built from what does not vary:
//! - each direction keeps its own order, except that a server message
//!   naming an id comes after the response that introduced the id, and
//!   `thread/started` comes right after the response that introduced its
//!   thread (the `thread/start`, `thread/fork` or `thread/resume` it
//!   announces);
//! - a client request comes just before its response; a client response (to
//!   a server request) just before the first server message that arrived
//!   after it; a client notification with the next client line;
//! - the notifications about a thread the client never started (a
//!   sub-agent's, which runs beside the client's) come after the rest, in
//!   arrival order;
//! - the `unordered` methods (config `[wire]`) come last, grouped by method,
//!   then by the thread they name (threads in the order the log first names
//!   them), each thread's messages in arrival order: codex sends each
//!   thread's from that thread's own task, so two threads' interleave
//!   differently from run to run (measured: a sub-agent's status changes
//!   against its parent's, codex 0.163.0 beside a busy CPU).
//!
//! A replaying server meets every request where the recording expects it:
//! nothing it sends before a request was caused by that request.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which way a line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Client to server (codex's stdin).
    C2s,
    /// Server to client (codex's stdout).
    S2c,
}

/// One line of a transcript: its direction and the JSON-RPC message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub dir: Dir,
    pub msg: Value,
}

impl Line {
    fn method(&self) -> Option<&str> {
        self.msg.get("method").and_then(Value::as_str)
    }

    /// A response: an id, no method.
    pub fn is_response(&self) -> bool {
        self.msg.get("id").is_some() && self.method().is_none()
    }

    /// A request: an id and a method.
    pub fn is_request(&self) -> bool {
        self.msg.get("id").is_some() && self.method().is_some()
    }
}

/// The canonical order of `logged` (arrival order), as described above.
pub fn canonical(logged: &[Line], unordered: &[String]) -> Vec<Line> {
    let is_unordered = |l: &Line| {
        l.dir == Dir::S2c && l.method().is_some_and(|m| unordered.iter().any(|u| u == m))
    };
    let foreign = of_foreign_threads(logged);
    // Arrival index of every line, so "arrived after" can be asked later.
    let server: Vec<usize> = (0..logged.len())
        .filter(|&i| {
            logged[i].dir == Dir::S2c && !is_unordered(&logged[i]) && !foreign.contains(&i)
        })
        .collect();
    let server =
        announcements_after_their_responses(logged, after_introducing_responses(logged, &server));
    let at: HashMap<usize, usize> = server.iter().enumerate().map(|(k, &i)| (i, k)).collect();

    // Where in `server` each client line must come before (its anchor).
    let client: Vec<usize> = (0..logged.len())
        .filter(|&i| logged[i].dir == Dir::C2s)
        .collect();
    let mut anchors: Vec<usize> = client
        .iter()
        .map(|&i| {
            let line = &logged[i];
            if line.is_request() {
                server
                    .iter()
                    .position(|&j| logged[j].is_response() && logged[j].msg["id"] == line.msg["id"])
                    .unwrap_or(server.len())
            } else if line.is_response() {
                server
                    .iter()
                    .filter(|&&j| j > i)
                    .map(|j| at[j])
                    .min()
                    .unwrap_or(server.len())
            } else {
                server.len()
            }
        })
        .collect();
    // Client order is kept: a line goes no later than the one after it.
    for k in (0..anchors.len().saturating_sub(1)).rev() {
        anchors[k] = anchors[k].min(anchors[k + 1]);
    }

    let mut out = Vec::with_capacity(logged.len());
    let mut next_client = 0;
    for (k, &i) in server.iter().enumerate() {
        while next_client < client.len() && anchors[next_client] <= k {
            out.push(logged[client[next_client]].clone());
            next_client += 1;
        }
        out.push(logged[i].clone());
    }
    out.extend(client[next_client..].iter().map(|&i| logged[i].clone()));
    out.extend(foreign.iter().map(|&i| logged[i].clone()));
    let named = first_named(logged);
    let rank = |l: &Line| thread_of(l).and_then(|t| named.get(t).copied());
    let mut rest: Vec<&Line> = logged.iter().filter(|l| is_unordered(l)).collect();
    rest.sort_by(|a, b| (a.method(), rank(a)).cmp(&(b.method(), rank(b))));
    out.extend(rest.into_iter().cloned());
    out
}

/// The server messages (arrival indices, in order) about a thread the
/// client never started, resumed or forked: a sub-agent's, which codex runs
/// beside the client's thread, so that its messages' place among the
/// client's varies from run to run while their own order does not.
fn of_foreign_threads(logged: &[Line]) -> Vec<usize> {
    let known: BTreeSet<&str> = logged
        .iter()
        .filter(|l| l.dir == Dir::S2c && l.is_response())
        .filter_map(|l| l.msg["result"]["thread"]["id"].as_str())
        .collect();
    (0..logged.len())
        .filter(|&i| {
            let line = &logged[i];
            line.dir == Dir::S2c
                && line.method().is_some()
                && !line.is_request()
                && thread_of(line).is_some_and(|id| !known.contains(id))
        })
        .collect()
}

/// The thread a notification is about: its `threadId`, or the thread it
/// carries.
fn thread_of(line: &Line) -> Option<&str> {
    let params = &line.msg["params"];
    match &params["threadId"] {
        Value::Null => params["thread"]["id"].as_str(),
        id => id.as_str(),
    }
}

/// Every id the log names, numbered in the order it is first named: a
/// thread is named by the response that started it or the item that
/// spawned it before any message of its own.
fn first_named(logged: &[Line]) -> HashMap<String, usize> {
    let mut named = HashMap::new();
    for line in logged {
        for id in ids(&line.msg) {
            let next = named.len();
            named.entry(id).or_insert(next);
        }
    }
    named
}

/// `server` (arrival indices) with every message that names an id moved
/// after the response that introduced the id, if that response arrived
/// later and the message after its request (what the request may have
/// caused: a message that came before the request was sent, which the
/// response names again, as `thread/read` does a turn's items, stays);
/// otherwise in arrival order.
fn after_introducing_responses(logged: &[Line], server: &[usize]) -> Vec<usize> {
    let mut introduced_by: HashMap<String, usize> = HashMap::new();
    for &i in server.iter().filter(|&&i| logged[i].is_response()) {
        for id in ids(&logged[i].msg) {
            introduced_by.entry(id).or_insert(i);
        }
    }
    let asked_at = |r: usize| {
        logged[..r]
            .iter()
            .rposition(|l| {
                l.is_request() && l.dir == Dir::C2s && l.msg["id"] == logged[r].msg["id"]
            })
            .unwrap_or(0)
    };
    let mut out: Vec<usize> = Vec::with_capacity(server.len());
    let mut waiting: Vec<(usize, usize)> = Vec::new();
    for &i in server {
        let needs = ids(&logged[i].msg)
            .iter()
            .filter_map(|id| introduced_by.get(id))
            .copied()
            .filter(|&r| r > i && asked_at(r) < i)
            .max();
        match needs {
            Some(r) => waiting.push((r, i)),
            None => out.push(i),
        }
        // Messages waiting for this response follow it, in arrival order.
        let (ready, still): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|&(r, _)| r == i);
        waiting = still;
        out.extend(ready.into_iter().map(|(_, j)| j));
    }
    out.extend(waiting.into_iter().map(|(_, j)| j));
    out
}

/// `server` with each `thread/started` moved to just after the response
/// that introduced its thread (after any announcement already there), if
/// that response is in `server`.
fn announcements_after_their_responses(logged: &[Line], mut server: Vec<usize>) -> Vec<usize> {
    let announcements: Vec<usize> = server
        .iter()
        .copied()
        .filter(|&i| logged[i].method() == Some("thread/started"))
        .collect();
    for i in announcements {
        let thread = &logged[i].msg["params"]["thread"]["id"];
        let introduced = server.iter().position(|&j| {
            logged[j].is_response() && &logged[j].msg["result"]["thread"]["id"] == thread
        });
        let Some(mut at) = introduced.filter(|_| thread.is_string()) else {
            continue;
        };
        server.retain(|&j| j != i);
        at += 1;
        while at < server.len() && logged[server[at]].method() == Some("thread/started") {
            at += 1;
        }
        server.insert(at, i);
    }
    server
}

/// The UUIDs a message mentions, anywhere in it.
pub(super) fn ids(v: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if is_uuid(s) => {
                found.insert(s.clone());
            }
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    found
}

/// A UUID as codex writes one: 36 characters, hex digits and four dashes.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const THREAD: &str = "019a0000-0000-7000-8000-000000000001";
    const TURN: &str = "019a0000-0000-7000-8000-000000000002";

    fn c(msg: Value) -> Line {
        Line { dir: Dir::C2s, msg }
    }
    fn s(msg: Value) -> Line {
        Line { dir: Dir::S2c, msg }
    }
    fn names(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let what = l
                    .method()
                    .map_or_else(|| format!("response {}", l.msg["id"]), str::to_string);
                format!("{:?} {what}", l.dir)
            })
            .collect()
    }

    /// The arrival order of one run, as logged.
    fn one_run() -> Vec<Line> {
        vec![
            c(json!({"id": 1, "method": "initialize"})),
            s(json!({"id": 1, "result": {}})),
            c(json!({"method": "initialized"})),
            s(json!({"method": "configWarning"})),
            c(json!({"id": 2, "method": "thread/start"})),
            s(json!({"id": 2, "result": {"thread": {"id": THREAD}}})),
            s(json!({"method": "thread/started", "params": {"thread": {"id": THREAD}}})),
            c(json!({"id": 3, "method": "turn/start", "params": {"threadId": THREAD}})),
            s(json!({"id": 3, "result": {"turn": {"id": TURN}}})),
            s(json!({"method": "thread/status/changed", "params": {"threadId": THREAD}})),
            s(
                json!({"method": "turn/started", "params": {"threadId": THREAD, "turn": {"id": TURN}}}),
            ),
            s(
                json!({"id": 0, "method": "item/commandExecution/requestApproval", "params": {"turnId": TURN}}),
            ),
            c(json!({"id": 0, "result": {"decision": "decline"}})),
            s(json!({"method": "turn/completed", "params": {"turn": {"id": TURN}}})),
        ]
    }

    /// A sub-agent's thread runs beside the client's: its messages come
    /// after the rest, in their own order, wherever they arrived.
    #[test]
    fn a_sub_agents_thread_follows_the_clients_wherever_it_arrived() {
        const CHILD: &str = "00000000-0000-7000-8000-000000000009";
        let child = |method: &str| s(json!({"method": method, "params": {"threadId": CHILD}}));
        let mut early = one_run();
        early.insert(12, child("turn/started"));
        early.insert(13, child("item/started"));
        let mut late = one_run();
        late.push(child("turn/started"));
        late.push(child("item/started"));
        let (early, late) = (canonical(&early, &[]), canonical(&late, &[]));
        assert_eq!(names(&early), names(&late));
        let tail: Vec<&Value> = early[early.len() - 2..]
            .iter()
            .map(|l| &l.msg["method"])
            .collect();
        assert_eq!(tail, ["turn/started", "item/started"]);
        assert_eq!(early[early.len() - 1].msg["params"]["threadId"], CHILD);
    }

    #[test]
    fn the_races_measured_give_one_order() {
        let unordered = [
            "configWarning".to_string(),
            "thread/status/changed".to_string(),
        ];
        let first = one_run();
        // The client's turn/start crossing thread/started, the server's
        // response after turn/started, the startup warning before
        // `initialized`, the status change anywhere.
        let mut raced = first.clone();
        raced.swap(2, 3);
        raced.swap(6, 7);
        raced.swap(8, 10);
        raced.swap(8, 9);
        assert_ne!(names(&first), names(&raced));
        // Codex 0.144.4: thread/started after the response to turn/start.
        let mut late = first.clone();
        let started = late.remove(6);
        late.insert(8, started);
        assert_eq!(
            names(&canonical(&first, &unordered)),
            names(&canonical(&late, &unordered))
        );
        assert_eq!(
            names(&canonical(&first, &unordered)),
            names(&canonical(&raced, &unordered))
        );
        assert_eq!(
            names(&canonical(&first, &unordered)),
            [
                "C2s initialize",
                "S2c response 1",
                "C2s initialized",
                "C2s thread/start",
                "S2c response 2",
                "S2c thread/started",
                "C2s turn/start",
                "S2c response 3",
                "S2c turn/started",
                "S2c item/commandExecution/requestApproval",
                "C2s response 0",
                "S2c turn/completed",
                "S2c configWarning",
                "S2c thread/status/changed",
            ]
        );
    }

    /// Two threads' status changes, interleaved either way, come out each
    /// thread's together, the client's thread first, each in its order.
    #[test]
    fn two_threads_unordered_messages_interleave_one_way() {
        const CHILD: &str = "00000000-0000-7000-8000-000000000009";
        let status = |thread: &str, kind: &str| {
            s(
                json!({"method": "thread/status/changed", "params": {"threadId": thread, "status": {"type": kind}}}),
            )
        };
        let mut one = one_run();
        one.push(s(
            json!({"method": "item/started", "params": {"threadId": THREAD, "item": {"agentThreadId": CHILD}}}),
        ));
        let mut other = one.clone();
        one.extend([
            status(THREAD, "active"),
            status(CHILD, "idle"),
            status(CHILD, "active"),
            status(THREAD, "idle"),
        ]);
        other.extend([
            status(CHILD, "idle"),
            status(THREAD, "active"),
            status(THREAD, "idle"),
            status(CHILD, "active"),
        ]);
        let unordered = ["thread/status/changed".to_string()];
        let (one, other) = (canonical(&one, &unordered), canonical(&other, &unordered));
        assert_eq!(one, other);
        let tail: Vec<(&Value, &Value)> = one[one.len() - 5..]
            .iter()
            .map(|l| {
                (
                    &l.msg["params"]["threadId"],
                    &l.msg["params"]["status"]["type"],
                )
            })
            .collect();
        assert_eq!(
            tail,
            [
                (&json!(THREAD), &Value::Null),
                (&json!(THREAD), &json!("active")),
                (&json!(THREAD), &json!("idle")),
                (&json!(CHILD), &json!("idle")),
                (&json!(CHILD), &json!("active")),
            ]
        );
    }

    #[test]
    fn every_line_is_kept_once() {
        let logged = one_run();
        let out = canonical(&logged, &[]);
        assert_eq!(out.len(), logged.len());
        for l in &logged {
            assert_eq!(out.iter().filter(|o| *o == l).count(), 1, "{l:?}");
        }
    }

    /// A response that names again what codex sent before it was asked
    /// (`thread/read` with the turn's items) draws nothing after it: only
    /// what arrived after its request can have been caused by it.
    #[test]
    fn a_response_naming_earlier_messages_again_leaves_them_in_place() {
        let item = "00000000-0000-7000-8000-00000000000a";
        let logged = vec![
            c(json!({"id": 3, "method": "turn/start"})),
            s(json!({"id": 3, "result": {"turn": {"id": "t"}}})),
            s(json!({"method": "item/started", "params": {"item": {"id": item}}})),
            c(json!({"id": 4, "method": "thread/read"})),
            s(json!({"id": 4, "result": {"turns": [{"items": [{"id": item}]}]}})),
        ];
        assert_eq!(names(&canonical(&logged, &[])), names(&logged));
    }
}

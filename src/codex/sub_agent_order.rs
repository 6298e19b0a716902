//! Where a sub-agent's completion stands among its parent's items.
//!
//! Codex announces a sub-agent's end in the parent's thread (an
//! `item/started` and `item/completed` of a `subAgentActivity` of kind
//! `completed`) from the sub-agent's own task, so its place among the
//! parent's items is scheduling: a parent that calls `wait_agent` sees the
//! completion inside the wait, or, when the sub-agent was quicker than the
//! parent's next model reply, before the wait starts (measured, codex
//! 0.163.0 idle: 2 runs in 20). The wait's own items are the same either
//! way. The canonical place is inside the wait: each completion moves to
//! just before the end of the parent's next `wait` (a `collabAgentToolCall`),
//! and stays where it is when no wait follows it.

use serde_json::Value;

/// `lines` with every sub-agent completion inside the parent's next wait.
/// `notification` gives a line's server notification, `None` for any other
/// line (a client's, a response).
pub fn completions_inside_waits<T>(
    lines: Vec<T>,
    notification: impl Fn(&T) -> Option<&Value>,
) -> Vec<T> {
    // Each line sorts by the line it goes before and whether it is a
    // completion moved there; the sort is stable, so moved completions
    // keep their own order.
    let mut places: Vec<(usize, bool)> = (0..lines.len()).map(|i| (i, true)).collect();
    let mut moving = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(msg) = notification(line) else {
            continue;
        };
        if is_completion(msg) {
            moving.push(i);
        } else if let Some(thread) = wait_end_thread(msg) {
            moving.retain(|&c| {
                let inside = notification(&lines[c]).and_then(thread_id) == Some(thread);
                if inside {
                    places[c] = (i, false);
                }
                !inside
            });
        }
    }
    let mut placed: Vec<((usize, bool), T)> = places.into_iter().zip(lines).collect();
    placed.sort_by_key(|(place, _)| *place);
    placed.into_iter().map(|(_, line)| line).collect()
}

fn item(msg: &Value) -> Option<&Value> {
    match msg.get("method").and_then(Value::as_str) {
        Some("item/started" | "item/completed") => msg["params"].get("item"),
        _ => None,
    }
}

fn is_completion(msg: &Value) -> bool {
    item(msg).is_some_and(|item| item["type"] == "subAgentActivity" && item["kind"] == "completed")
}

/// The thread of the end of a wait for sub-agents, if `msg` is one.
fn wait_end_thread(msg: &Value) -> Option<&str> {
    let item = item(msg)?;
    let ends_wait = msg["method"] == "item/completed"
        && item["type"] == "collabAgentToolCall"
        && item["tool"] == "wait";
    ends_wait.then(|| thread_id(msg)).flatten()
}

fn thread_id(msg: &Value) -> Option<&str> {
    msg["params"]["threadId"].as_str()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(method: &str, thread: &str, item: Value) -> Value {
        json!({"method": method, "params": {"threadId": thread, "item": item}})
    }

    fn completion(method: &str, thread: &str) -> Value {
        event(
            method,
            thread,
            json!({"type": "subAgentActivity", "kind": "completed", "id": "done"}),
        )
    }

    fn wait(method: &str, thread: &str) -> Value {
        event(
            method,
            thread,
            json!({"type": "collabAgentToolCall", "tool": "wait", "id": "call_wait"}),
        )
    }

    fn order(lines: Vec<Value>) -> Vec<Value> {
        completions_inside_waits(lines, |v| Some(v))
    }

    #[test]
    fn a_completion_before_the_wait_moves_inside_it() {
        let inside = vec![
            wait("item/started", "p"),
            completion("item/started", "p"),
            completion("item/completed", "p"),
            wait("item/completed", "p"),
        ];
        let before = vec![
            completion("item/started", "p"),
            completion("item/completed", "p"),
            wait("item/started", "p"),
            wait("item/completed", "p"),
        ];
        assert_eq!(order(before), inside);
        assert_eq!(order(inside.clone()), inside);
    }

    #[test]
    fn a_completion_with_no_wait_after_it_or_of_another_thread_stays() {
        let lines = vec![
            wait("item/started", "p"),
            wait("item/completed", "p"),
            completion("item/started", "other"),
            completion("item/completed", "p"),
            json!({"method": "turn/completed", "params": {"threadId": "p"}}),
        ];
        assert_eq!(order(lines.clone()), lines);
    }

    #[test]
    fn only_the_lines_a_caller_calls_notifications_move() {
        let lines = vec![completion("item/started", "p"), wait("item/completed", "p")];
        assert_eq!(
            completions_inside_waits(lines.clone(), |_| None::<&Value>),
            lines
        );
    }
}

//! The Responses API's server-sent events for a scripted reply, as pure
//! functions: what the server streams, testable without a socket.

use serde_json::{Value, json};

use super::script::{Action, Reply, StreamEnd, StreamItem};

impl Reply {
    /// Every server-sent event this reply streams to a request for
    /// `model`, in order; none for a plain HTTP error.
    pub fn events(&self, model: &str) -> Vec<Value> {
        match &self.action {
            Action::Stream { items, end } => stream_events(items, end, model),
            Action::Raw { events } => events.clone(),
            Action::Http { .. } => Vec::new(),
        }
    }
}

/// The SSE events of a streamed reply, in order, as the Responses API
/// streams them: the response created, each item announced empty, its text
/// in deltas and the done events carrying the whole, the response completed
/// (or failed) with every item; each event numbered (`sequence_number`).
pub(super) fn stream_events(items: &[StreamItem], end: &StreamEnd, model: &str) -> Vec<Value> {
    let mut events = vec![
        json!({"type": "response.created", "response": response(model, "in_progress", &[], None)}),
    ];
    for (n, StreamItem { item, chunks }) in items.iter().enumerate() {
        item_events(&mut events, n, item, chunks);
        events.push(json!({"type": "response.output_item.done", "output_index": n, "item": item}));
    }
    let output: Vec<Value> = items.iter().map(|i| i.item.clone()).collect();
    match end {
        StreamEnd::Completed { usage } => {
            let mut done = response(model, "completed", &output, None);
            done["usage"] = usage.clone();
            events.push(json!({"type": "response.completed", "response": done}));
        }
        StreamEnd::Failed { error } => events.push(json!({
            "type": "response.failed",
            "response": response(model, "failed", &output, Some(error))
        })),
        StreamEnd::Cut => {}
    }
    for (n, event) in events.iter_mut().enumerate() {
        event["sequence_number"] = json!(n);
    }
    events
}

/// The response object the created, completed and failed events carry,
/// with every field the Responses API always sends (`created_at` a fixed
/// time: nothing a fixture rests on may vary).
fn response(model: &str, status: &str, output: &[Value], error: Option<&Value>) -> Value {
    json!({
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "status": status,
        "model": model,
        "output": output,
        "error": error,
        "incomplete_details": null,
        "instructions": null,
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "metadata": {},
        "temperature": null,
        "top_p": null
    })
}

/// Output item `n` announced empty and its text (arguments, input) streamed.
fn item_events(events: &mut Vec<Value>, n: usize, item: &Value, chunks: &[String]) {
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
                events,
                &at,
                ["response.content_part", "response.output_text"],
                |text| json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []}),
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
                events,
                &at,
                [
                    "response.reasoning_summary_part",
                    "response.reasoning_summary_text",
                ],
                |text| json!({"type": "summary_text", "text": text}),
                chunks,
            );
        }
        // A search codex runs itself, or one the model ran: announced, then
        // done, no deltas.
        Some("tool_search_call" | "web_search_call") => {
            empty["status"] = json!("in_progress");
            events.push(
                json!({"type": "response.output_item.added", "output_index": n, "item": empty}),
            );
        }
        call => {
            // A call's arguments, or a custom tool's input: the field that
            // streams, and its events.
            let (field, kind) = match call {
                Some("custom_tool_call") => ("input", "response.custom_tool_call_input"),
                _ => ("arguments", "response.function_call_arguments"),
            };
            empty[field] = json!("");
            empty["status"] = json!("in_progress");
            events.push(
                json!({"type": "response.output_item.added", "output_index": n, "item": empty}),
            );
            let at = json!({"item_id": item_id, "output_index": n});
            let mut done = json!({});
            if call != Some("custom_tool_call") {
                done["name"] = item["name"].clone();
            }
            stream_call(events, &at, (kind, field, done), chunks);
        }
    }
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
    // An output text's deltas carry their log probabilities (none asked).
    let mut text_at = at.clone();
    if text_events == "response.output_text" {
        text_at["logprobs"] = json!([]);
    }
    for delta in chunks {
        events.push(merged(
            &text_at,
            json!({"type": format!("{text_events}.delta"), "delta": delta}),
        ));
    }
    events.push(merged(
        &text_at,
        json!({"type": format!("{text_events}.done"), "text": text}),
    ));
    events.push(merged(
        at,
        json!({"type": format!("{part_events}.done"), "part": part(&text)}),
    ));
}

/// A call's arguments (or a custom tool's input) streamed: a
/// `<events>.delta` per chunk, then `<events>.done` with the whole as
/// `field` and what else it names (a function call's name).
fn stream_call(
    events: &mut Vec<Value>,
    at: &Value,
    (kind, field, mut done): (&str, &str, Value),
    chunks: &[String],
) {
    for delta in chunks {
        events.push(merged(
            at,
            json!({"type": format!("{kind}.delta"), "delta": delta}),
        ));
    }
    done["type"] = json!(format!("{kind}.done"));
    done[field] = json!(chunks.concat());
    events.push(merged(at, done));
}

/// `event` with the fields of `at` (where in the response it belongs).
fn merged(at: &Value, mut event: Value) -> Value {
    for (k, v) in at.as_object().expect("an object") {
        event[k] = v.clone();
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_endings() {
        let items = [StreamItem {
            item: json!({"type": "message", "id": "m", "content": [{"type": "output_text", "text": "xy"}]}),
            chunks: vec!["x".into(), "y".into()],
        }];
        let kinds = |end| {
            stream_events(&items, &end, "gpt-5.5")
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
        let events = stream_events(&items, &StreamEnd::Cut, "gpt-5.5");
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

    #[test]
    fn a_custom_tool_call_streams_its_input() {
        let items = [StreamItem {
            item: json!({"type": "custom_tool_call", "id": "c", "call_id": "call", "name": "apply_patch", "input": "ab", "status": "completed"}),
            chunks: vec!["a".into(), "b".into()],
        }];
        let events = stream_events(&items, &StreamEnd::Cut, "gpt-5.5");
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.output_item.added",
                "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.done",
                "response.output_item.done"
            ]
        );
        assert_eq!(events[1]["item"]["input"], "", "the item starts empty");
        assert_eq!(events[2]["item_id"], "c");
        assert_eq!(events[4]["input"], "ab");
        assert_eq!(events[5]["item"]["input"], "ab");
    }
}

//! The Responses API's server-sent events for a scripted reply, as pure
//! functions: what the server streams, testable without a socket.

use serde_json::{Value, json};

use super::script::{StreamEnd, StreamItem};

/// The SSE events of a streamed reply, in order, as the Responses API
/// streams them: each item is announced empty, its text arrives in deltas,
/// and the done events carry the whole.
pub(super) fn stream_events(items: &[StreamItem], end: &StreamEnd) -> Vec<Value> {
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

//! The scripted model speaks the published Responses API: every event a
//! script's replies stream is checked against the stream events of OpenAI's
//! own OpenAPI document (`config/responses-api/stream-events.schema.json`,
//! extracted by `extract.py` beside it, which names the commit), so a
//! fixture never rests on a reply no real model could send. A script that
//! sends otherwise is refused before any scenario runs, naming the reply,
//! the event and the field.

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use serde_json::Value;

use crate::base::failure::{at_most, hinted};
use crate::codex::model::Script;
use crate::engine::schema::Schema;

/// The vendored subset of the OpenAPI document: what the check reads.
const STREAM_EVENTS: &str = include_str!("../../config/responses-api/stream-events.schema.json");

/// The model a checked reply answers (the one a request names; any).
const MODEL: &str = "gpt-5.5";

/// How many misfits an error shows.
const SHOWN: usize = 5;

/// The event types of the vendored union, each with its member's schema.
type Members = std::collections::HashMap<String, Schema>;

fn members() -> Result<&'static Members> {
    static MEMBERS: OnceLock<std::result::Result<Members, String>> = OnceLock::new();
    MEMBERS
        .get_or_init(|| compile_members().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow!("the vendored Responses API schema: {e}"))
}

/// Each member of the union by its event type (its `type`'s one value),
/// standing alone with the union's definitions, so that an event is
/// checked against its own type and a misfit names the field.
fn compile_members() -> Result<Members> {
    let union: Value = serde_json::from_str(STREAM_EVENTS)?;
    let defs = &union["$defs"];
    let mut out = Members::new();
    for member in union["anyOf"].as_array().into_iter().flatten() {
        let reference = member["$ref"].as_str().unwrap_or_default();
        let name = reference.trim_start_matches("#/$defs/");
        let event_type = defs[name]["properties"]["type"]["enum"][0]
            .as_str()
            .ok_or_else(|| anyhow!("{name} has no constant type"))?;
        let alone =
            serde_json::json!({"$schema": union["$schema"], "$defs": defs, "$ref": reference});
        out.insert(event_type.to_string(), Schema::compile(&alone)?);
    }
    Ok(out)
}

/// Why `event` is not a stream event of the published API, if it is not.
fn misfit(event: &Value) -> Result<Option<String>> {
    let event_type = event["type"].as_str().unwrap_or_default();
    let Some(schema) = members()?.get(event_type) else {
        return Ok(Some(format!(
            "{event_type:?} is no stream event type the scripted model may send"
        )));
    };
    Ok(schema
        .violations(event, 1)
        .into_iter()
        .next()
        .map(|v| format!("{} {}", v.place(), v.message)))
}

/// Fails unless every event of every reply of `script` (of `shown`, for
/// the message) is a `ResponseStreamEvent` of the published API.
pub fn check(script: &Script, shown: &str) -> Result<()> {
    let mut misfits = Vec::new();
    for (r, reply) in script.replies.iter().enumerate() {
        for (e, event) in reply.events(MODEL).iter().enumerate() {
            if let Some(why) = misfit(event)? {
                misfits.push(format!(
                    "replies[{r}] event {e} ({}): {why}",
                    event["type"].as_str().unwrap_or("no type")
                ));
            }
        }
    }
    if misfits.is_empty() {
        return Ok(());
    }
    let misfits = at_most(misfits, SHOWN);
    Err(hinted(
        anyhow!(
            "{shown} streams events the Responses API does not have:\n  {}",
            misfits.join("\n  ")
        ),
        "give each event what config/responses-api/stream-events.schema.json requires of its type (a raw reply's events are sent as written)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;
    use std::path::Path;

    fn check_event(event: &Value) -> Result<()> {
        match misfit(event)? {
            None => Ok(()),
            Some(why) => bail!("{why}"),
        }
    }

    /// Every committed script's every event is a published stream event.
    #[test]
    fn every_script_streams_what_the_responses_api_streams() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/scripts");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let script = Script::load(&path).unwrap();
            check(&script, &path.display().to_string()).unwrap();
            checked += 1;
        }
        assert!(checked > 30, "{checked} scripts");
    }

    /// A test must fail when a scripted event is not a valid
    /// `ResponseStreamEvent`: an unknown type, a missing field, a wrong one.
    #[test]
    fn an_event_the_api_does_not_have_is_refused() {
        let script = Script::parse(br#"{"replies": [{"kind": "message", "text": "hi"}]}"#).unwrap();
        let events = script.replies[0].events(MODEL);
        for event in &events {
            check_event(event).unwrap();
        }
        let mut wrong_type = events[0].clone();
        wrong_type["type"] = "response.teleported".into();
        let mut no_sequence = events[1].clone();
        no_sequence
            .as_object_mut()
            .unwrap()
            .remove("sequence_number");
        let mut text_as_number = events[3].clone();
        text_as_number["delta"] = 7.into();
        for bad in [wrong_type, no_sequence, text_as_number] {
            assert!(check_event(&bad).is_err(), "{bad}");
        }
        let raw = Script::parse(
            br#"{"replies": [{"kind": "raw", "events": [{"type": "response.created", "response": {"id": "resp_1"}}]}]}"#,
        )
        .unwrap();
        let err = format!("{:#}", check(&raw, "raw.json").unwrap_err());
        assert!(
            err.contains("raw.json streams events the Responses API does not have")
                && err.contains("replies[0] event 0 (response.created)"),
            "{err}"
        );
    }
}

"""Structured output: the turn carries an output schema and the model answers
with JSON. The schema itself is written as the second output."""

import json

from ._record import open_codex, stream, write_jsonl

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "integer"}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}


def record(output_path, *, codex_path, model, outputs, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        events = stream(thread.turn(prompt, output_schema=SCHEMA))
    write_jsonl(outputs[0], events)
    if len(outputs) > 1:
        with open(outputs[1], "w", encoding="utf-8") as f:
            json.dump(SCHEMA, f)

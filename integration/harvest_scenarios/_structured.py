"""Structured output: the turn carries an output schema (the `output_schema`
kwarg, which the exec lane's `--output-schema` uses too) and the model answers
with JSON. The schema itself is written as the second output."""

import json

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, outputs, prompt, output_schema, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        events = stream(thread.turn(prompt, output_schema=output_schema))
    write_jsonl(outputs[0], events)
    if len(outputs) > 1:
        with open(outputs[1], "w", encoding="utf-8") as f:
            json.dump(output_schema, f)

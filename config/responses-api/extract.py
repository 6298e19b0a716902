"""Extracts the Responses API's stream events the scripted model sends from
OpenAI's published OpenAPI document (the openai/openai-openapi repository's
openapi.json), with every schema they refer to, into one JSON Schema:
stream-events.schema.json beside this file. Standard library only.

    python3 config/responses-api/extract.py OPENAPI_JSON COMMIT

COMMIT is the repository commit the document was taken from; the output
names it. The union kept is ResponseStreamEvent's members whose event type
the scripted model streams (EVENTS below): add one here when the model
learns to send it, and run this again.
"""

import json
import os
import sys

EVENTS = [
    "response.created",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.completed",
    "response.failed",
]

PREFIX = "#/components/schemas/"


def refs(node):
    """Every schema name `node` refers to, however deep."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            yield ref[len(PREFIX):]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def rewritten(node, name):
    """`node` (of the schema `name`) with its references pointing into the
    output's `$defs`, OpenAPI's documentation-only keys left out, and the
    draft 2019-09 recursion (`$recursiveRef: "#"`, meaning the schema
    itself) spelled as the plain reference it is."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key.startswith("x-") or key in ("example", "examples", "$recursiveAnchor"):
                continue
            if key == "$recursiveRef" and value == "#":
                key, value = "$ref", PREFIX + name
            if key == "$ref" and isinstance(value, str) and value.startswith(PREFIX):
                value = "#/$defs/" + value[len(PREFIX):]
            out[key] = rewritten(value, name)
        return out
    if isinstance(node, list):
        return [rewritten(v, name) for v in node]
    return node


def event_type(schema):
    return (schema.get("properties", {}).get("type", {}).get("enum") or [None])[0]


def main(openapi_path, commit):
    schemas = json.load(open(openapi_path))["components"]["schemas"]
    members = [r for r in refs(schemas["ResponseStreamEvent"]["anyOf"])]
    kept = [m for m in members if event_type(schemas[m]) in EVENTS]
    missing = set(EVENTS) - {event_type(schemas[m]) for m in kept}
    if missing:
        sys.exit(f"ResponseStreamEvent has no member for {sorted(missing)}")
    needed, todo = set(), list(kept)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(refs(schemas[name]))
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"openai/openai-openapi {commit} openapi.json: ResponseStreamEvent's members the scripted model sends, extracted by extract.py; do not edit by hand",
        "anyOf": [{"$ref": "#/$defs/" + m} for m in kept],
        "$defs": {name: rewritten(schemas[name], name) for name in sorted(needed)},
    }
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stream-events.schema.json")
    with open(target, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

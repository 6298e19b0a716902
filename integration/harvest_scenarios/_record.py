"""What every scenario shares: turning SDK notifications into fixture lines."""

import json

from openai_codex import Codex, CodexConfig
from openai_codex.models import UnknownNotification


def open_codex(codex_path):
    """A client for the given codex binary, in the current directory and environment."""
    return Codex(CodexConfig(codex_bin=codex_path))


def event(notification):
    """One notification as the SDK delivers it: its method and its params.

    ``exclude_unset`` keeps exactly the fields that were on the wire, explicit
    nulls included, and nothing the model classes would add as defaults.
    """
    payload = notification.payload
    if isinstance(payload, UnknownNotification):
        params = payload.params
    else:
        params = payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {"method": notification.method, "params": params}


def stream(turn):
    """Every notification of one turn's own stream, in order, up to turn/completed.

    Thread-level notifications (status changes, rate limits, config warnings)
    arrive on a global queue whose order against the turn's events varies from
    run to run, so they are not part of an ordered fixture.
    """
    return [event(n) for n in turn.stream()]


def write_jsonl(path, events):
    with open(path, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n")

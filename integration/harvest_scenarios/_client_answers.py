"""Requests codex asks of the client, and the client answering them itself
through the SDK's own mechanism, ``CodexClient(approval_handler=...)``: the
user as the approvals reviewer (approval policy ``on-request``), questions
the model asks (``request_user_input``, in plan mode), tools the client
declares, an MCP server's elicitations. ``thread`` and ``turn`` are params
of ``thread/start`` and ``turn/start`` beyond those; ``mcp`` gives the
thread the local MCP server of ``_mcp_server.py``.

The fixture is the turn's events, then one line per call of the handler in
the order it was called: the method and params codex sent and what the
handler returned. The answers are the scenario's ``answers``, one a call
(a call beyond them is answered ``{}``, as the SDK's default handler
answers what it does not know). The handler runs on the SDK's reader
thread, so its calls are kept apart from the events rather than
interleaved with them at whatever moment they happened."""

import os
import shutil

from openai_codex.client import CodexClient, CodexConfig

from ._record import event, write_jsonl


def mcp_server():
    """The thread config that gives codex the scenarios' local MCP server.

    The server is copied into the workdir and started as ``python3`` from
    the PATH (the scenario's interpreter comes first there), so the config
    the client sends names no path of this checkout or machine: what the
    wire transcript records, and replay compares, is the same anywhere."""
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(os.getcwd(), "mcp_server.py")
    shutil.copyfile(os.path.join(here, "_mcp_server.py"), script)
    return {"mcp_servers": {"fixture": {"command": "python3", "args": [script]}}}


def turn_events(client, turn_id):
    """Every notification of the turn, in order, up to turn/completed: the
    low-level client's own queue for a turn it started, which holds the
    turn's events from its first."""
    events = []
    while True:
        notification = client.next_turn_notification(turn_id)
        events.append(event(notification))
        if notification.method == "turn/completed":
            return events


def record(output_path, *, codex_path, model, prompt, answers, thread=None, turn=None, mcp=False, **_):
    calls = []

    def approval_handler(method, params):
        answer = answers[len(calls)] if len(calls) < len(answers) else {}
        calls.append({"approval_handler": {"method": method, "params": params, "returned": answer}})
        return answer

    params = {
        "model": model,
        "ephemeral": True,
        "sandbox": "read-only",
        "approvalPolicy": "on-request",
        "approvalsReviewer": "user",
        **(thread or {}),
    }
    if mcp:
        params["config"] = {**params.get("config", {}), **mcp_server()}
    with CodexClient(CodexConfig(codex_bin=codex_path), approval_handler=approval_handler) as client:
        client.initialize()
        thread_id = client.thread_start(params).thread.id
        turn_id = client.turn_start(thread_id, prompt, turn).turn.id
        events = turn_events(client, turn_id)
    write_jsonl(output_path, events + calls)

"""A review (``review/start``, custom instructions) on a new thread: codex
enters review mode, asks the model for its findings and exits review mode
with them.

The SDK has no review call. The low-level client sends the request, and
its own way of starting a turn is used to hold the review turn's events
from the request on (``pending_turn``, then ``prepare_turn``, as
``CodexClient.turn_start`` does): a turn's events are dropped until a
consumer is attached, and the review turn's id is known only from the
response."""

from openai_codex.client import CodexClient, CodexConfig
from openai_codex.generated.v2_all import ReviewStartResponse

from ._client_answers import turn_events
from ._record import write_jsonl


def record(output_path, *, codex_path, model, instructions, **_):
    with CodexClient(CodexConfig(codex_bin=codex_path)) as client:
        client.initialize()
        thread_id = client.thread_start({"model": model, "ephemeral": True}).thread.id
        router = client._router
        with router.pending_turn(thread_id) as cursors:
            response = client.request(
                "review/start",
                {"threadId": thread_id, "target": {"type": "custom", "instructions": instructions}},
                response_model=ReviewStartResponse,
            )
            router.prepare_turn(response.turn.id, thread_id, cursors, for_handle=False)
        events = turn_events(client, response.turn.id)
    write_jsonl(output_path, events)

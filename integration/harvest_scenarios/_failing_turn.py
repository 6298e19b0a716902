"""A turn whose model requests fail (HTTP errors, response.failed, a cut
stream) until codex gives up: the stream ends with the SDK's error events and
a failed turn."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

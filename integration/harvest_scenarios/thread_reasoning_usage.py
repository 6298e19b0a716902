"""A reasoning item with a summary, then the answer; token usage with cached
and reasoning tokens, as the thread/tokenUsage/updated event reports it."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        events = stream(thread.turn(prompt, summary="auto"))
    write_jsonl(output_path, events)

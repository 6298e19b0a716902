"""The model's stream is cut before response.completed: codex reconnects (an error event that says it will retry), the second stream is whole, and the turn completes."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

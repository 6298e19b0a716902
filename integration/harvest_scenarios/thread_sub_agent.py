"""The model hands a task to a sub-agent (``spawn_agent`` of codex's
multi-agent tools, which the thread's config turns on) and waits for it
(``wait_agent``): the parent's turn shows the sub-agent started and waited
for; the sub-agent's own thread, its whole turn, is in the wire transcript.
The wait makes the run end after the sub-agent's turn, not part way."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, config, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True, config=config)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

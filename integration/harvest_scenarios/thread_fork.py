"""A thread, a fork of it (without its turns, so the fork's stream is its own),
a turn on the fork and another on the parent."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, outputs, prompts, **_):
    with open_codex(codex_path) as codex:
        parent = codex.thread_start(model=model)
        first = stream(parent.turn(prompts[0]))
        fork = codex.thread_fork(parent.id, model=model, ephemeral=True, include_turns=False)
        on_fork = stream(fork.turn(prompts[1]))
        on_parent = stream(parent.turn(prompts[2]))
    write_jsonl(outputs[0], first + on_fork + on_parent)

"""A thread whose config sets a deprecated feature flag
(``features.web_search_request``): codex warns about it
(``deprecationNotice``, a thread-level notification the wire transcript
holds) and runs the turn."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, config, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True, config=config)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

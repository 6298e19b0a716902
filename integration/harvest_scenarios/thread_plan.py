"""The model keeps a plan with the update_plan tool, which the thread's
config turns on (``tools.update_plan``): a plan set, then every step
marked done, then the answer."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, config, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True, config=config)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

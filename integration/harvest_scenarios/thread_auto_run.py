"""A turn whose answer asks for a follow-up, then the continuation turn on the
same thread: step 1 and step 2 are the two turns' streams."""

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, outputs, prompt, follow_up, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        step1 = stream(thread.turn(prompt))
        step2 = stream(thread.turn(follow_up))
    write_jsonl(outputs[0], step1)
    write_jsonl(outputs[1], step2)

"""A client that stops early: it reads the turn's events only until the
turn has started and its input is recorded, then leaves while the model is
still thinking, closing codex."""

from ._record import event, open_codex, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    events = []
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        for notification in thread.turn(prompt).stream():
            events.append(event(notification))
            if notification.method == "item/completed":
                break
    write_jsonl(output_path, events)

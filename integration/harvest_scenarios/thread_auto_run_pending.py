"""A continuation that never settles: the model does not answer, and the
caller's guardrail interrupts the turn. The stream shows the turn in progress,
then completed as interrupted."""

import time

from ._record import event, open_codex, write_jsonl


def record(output_path, *, codex_path, model, prompt, settle_secs, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True)
        turn = thread.turn(prompt)
        events = []
        for notification in turn.stream():
            events.append(event(notification))
            if notification.method == "item/completed":
                # The guardrail: the user message is in, the model is silent.
                time.sleep(settle_secs)
                turn.interrupt()
    write_jsonl(output_path, events)

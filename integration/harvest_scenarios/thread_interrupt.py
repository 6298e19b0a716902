"""Interrupting a running tool command: the model starts a long command, the
caller interrupts once it is running, the turn ends interrupted; a next turn
on the same thread completes."""

from openai_codex import ApprovalMode, Sandbox

from ._record import event, open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, follow_up, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model, ephemeral=True, sandbox=Sandbox.full_access, approval_mode=ApprovalMode.deny_all
        )
        turn = thread.turn(prompt)
        events = []
        for notification in turn.stream():
            events.append(event(notification))
            if notification.method == "item/started" and events[-1]["params"]["item"]["type"] == "commandExecution":
                turn.interrupt()
        events += stream(thread.turn(follow_up))
    write_jsonl(output_path, events)

"""The model edits files with apply_patch in the workspace-write sandbox,
approvals never asked: a file added, then updated (fileChange items, the
turn's diff), then a patch of a file that is not there, which codex refuses
before applying it (no item; the model is told why)."""

from openai_codex import ApprovalMode, Sandbox

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model,
            ephemeral=True,
            sandbox=Sandbox.workspace_write,
            approval_mode=ApprovalMode.deny_all,
        )
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

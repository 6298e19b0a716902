"""A read-only sandbox and a command that needs more: the command asks for
escalation, the SDK's auto-review approver decides (allow or deny, as the
reviewer answers), and the turn goes on accordingly."""

from openai_codex import ApprovalMode, Sandbox

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model, ephemeral=True, sandbox=Sandbox.read_only, approval_mode=ApprovalMode.auto_review
        )
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

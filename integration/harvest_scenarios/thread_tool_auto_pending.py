"""The model asks to run a command outside the read-only sandbox; the approval
policy is "never ask", so the request is denied, the command never runs and the
model is told so."""

from openai_codex import ApprovalMode, Sandbox

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model, ephemeral=True, sandbox=Sandbox.read_only, approval_mode=ApprovalMode.deny_all
        )
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

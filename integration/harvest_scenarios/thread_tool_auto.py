"""The model calls a shell tool; it runs without asking (approvals never), its
output goes back, the model answers (step 1). A new client then resumes the
thread from its rollout and runs another turn (step 2)."""

from openai_codex import ApprovalMode, Sandbox

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, outputs, prompt, follow_up, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model, sandbox=Sandbox.full_access, approval_mode=ApprovalMode.deny_all
        )
        step1 = stream(thread.turn(prompt))
        thread_id = thread.id
    with open_codex(codex_path) as codex:
        resumed = codex.thread_resume(thread_id, model=model)
        step2 = stream(resumed.turn(follow_up))
    write_jsonl(outputs[0], step1)
    write_jsonl(outputs[1], step2)

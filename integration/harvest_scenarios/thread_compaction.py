"""A turn that outgrows the thread's context budget: the model's first
response reports more tokens than ``model_auto_compact_token_limit``
allows, so codex compacts the conversation (a summary asked of the model)
before it asks for the rest of the turn.

After compacting, codex counts the compacted conversation itself (a
usage event of its own estimate), so the config keeps every path of the
machine out of the prompt: no environment context, no permissions
instructions, no skills list (the skill roots' path)."""

from openai_codex import ApprovalMode, Sandbox

from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, config, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(
            model=model,
            ephemeral=True,
            config=config,
            sandbox=Sandbox.full_access,
            approval_mode=ApprovalMode.deny_all,
        )
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

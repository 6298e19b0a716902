// A command that asks to leave the sandbox, decided by codex's auto reviewer
// (the model `codex-auto-review`), as `codex exec --approve-for-me` does:
// the auto reviewer and on-request approvals in the workspace-write sandbox.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({
  config: { approvals_reviewer: "auto_review" },
  thread: { approvalPolicy: "on-request", sandboxMode: "workspace-write" },
});

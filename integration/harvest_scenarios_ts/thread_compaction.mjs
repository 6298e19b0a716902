// A turn that outgrows the context budget and is compacted: see
// thread_compaction.py.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({
  config: {
    model_auto_compact_token_limit: 1000,
    include_environment_context: false,
    include_permissions_instructions: false,
    skills: { include_instructions: false },
  },
  thread: { sandboxMode: "danger-full-access" },
});

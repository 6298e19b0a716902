// A turn that outgrows the context budget and is compacted: see
// thread_compaction.py.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({
  config: { model_auto_compact_token_limit: 1000 },
  thread: { sandboxMode: "danger-full-access" },
});

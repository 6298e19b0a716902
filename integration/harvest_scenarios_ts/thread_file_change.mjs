// Files edited with apply_patch in the workspace-write sandbox: see
// thread_file_change.py.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({ thread: { sandboxMode: "workspace-write" } });

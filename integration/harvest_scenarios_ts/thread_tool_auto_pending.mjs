// A command the read-only sandbox blocks.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({ thread: { sandboxMode: "read-only" } });

// One turn on a new thread: see _one_turn.mjs.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn();

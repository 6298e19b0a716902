// Structured output: the turn runs with the scenario's output schema.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({ turn: ({ output_schema }) => ({ outputSchema: output_schema }) });

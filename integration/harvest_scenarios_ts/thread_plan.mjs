// The model keeps a plan with update_plan, which the config turns on: see
// thread_plan.py.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({ config: { tools: { update_plan: { enabled: true } } } });

// A deprecated feature flag in the config: codex warns (an error item) and
// runs the turn. See thread_config_warning.py.
import { oneTurn } from "./_one_turn.mjs";

export const record = oneTurn({ config: { features: { web_search_request: true } } });

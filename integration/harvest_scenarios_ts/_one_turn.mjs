// One turn on a new thread, its events recorded: what most scenarios are.
import { openCodex, stream, threadOptions, writeJsonl } from "./_record.mjs";

export function oneTurn({ config, thread = {}, turn = () => ({}) } = {}) {
  return async function record(outputPath, { Codex, codexPath, model, prompt, ...kwargs }) {
    const codex = openCodex(Codex, codexPath, config);
    const t = codex.startThread(threadOptions(model, thread));
    writeJsonl(outputPath, await stream(t, prompt, turn(kwargs)));
  };
}

// What every TypeScript scenario shares: the client, a turn's events, JSONL.
import { writeFileSync } from "node:fs";

/** A client for the given codex binary; codex gets this process's environment. */
export function openCodex(Codex, codexPath, config) {
  return new Codex({ codexPathOverride: codexPath, ...(config ? { config } : {}) });
}

/** The options every thread takes: the model, and no git repository needed. */
export function threadOptions(model, extra = {}) {
  return { model, skipGitRepoCheck: true, ...extra };
}

/**
 * Every event of one turn's `runStreamed()`, in order. A failed turn ends
 * with `turn.failed`, after which the SDK throws (codex exits 1): that is
 * the expected end of such a turn, and the throw is not an event.
 */
export async function stream(thread, input, turnOptions = {}) {
  const events = [];
  try {
    const { events: stream } = await thread.runStreamed(input, turnOptions);
    for await (const event of stream) {
      events.push(event);
    }
  } catch (error) {
    if (!events.some((e) => e.type === "turn.failed")) {
      throw error;
    }
  }
  return events;
}

export function writeJsonl(path, events) {
  writeFileSync(path, events.map((e) => JSON.stringify(e) + "\n").join(""), "utf8");
}

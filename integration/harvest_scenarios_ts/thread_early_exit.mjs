// A client that stops early: it reads the turn's events until the turn has
// started, then leaves the stream, which ends the codex run. See
// thread_early_exit.py.
import { openCodex, threadOptions, writeJsonl } from "./_record.mjs";

export async function record(outputPath, { Codex, codexPath, model, prompt }) {
  const codex = openCodex(Codex, codexPath);
  const thread = codex.startThread(threadOptions(model));
  const events = [];
  const { events: stream } = await thread.runStreamed(prompt);
  for await (const event of stream) {
    events.push(event);
    if (event.type === "turn.started") {
      break;
    }
  }
  writeJsonl(outputPath, events);
}

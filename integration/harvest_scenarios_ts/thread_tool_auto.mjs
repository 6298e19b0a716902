// A shell command runs with full access (step 1); a new client resumes the
// thread by its id for another turn (step 2).
import { openCodex, stream, threadOptions, writeJsonl } from "./_record.mjs";

export async function record(outputPath, { Codex, codexPath, model, outputs, prompt, follow_up }) {
  const first = openCodex(Codex, codexPath);
  const thread = first.startThread(threadOptions(model, { sandboxMode: "danger-full-access" }));
  const step1 = await stream(thread, prompt);
  const second = openCodex(Codex, codexPath);
  const resumed = second.resumeThread(thread.id, threadOptions(model));
  const step2 = await stream(resumed, follow_up);
  writeJsonl(outputs[0], step1);
  writeJsonl(outputs[1], step2);
}

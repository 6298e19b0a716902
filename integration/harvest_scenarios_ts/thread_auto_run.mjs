// Two turns on one thread: the second continues the first (the SDK resumes it).
import { openCodex, stream, threadOptions, writeJsonl } from "./_record.mjs";

export async function record(outputPath, { Codex, codexPath, model, outputs, prompt, follow_up }) {
  const codex = openCodex(Codex, codexPath);
  const thread = codex.startThread(threadOptions(model));
  const step1 = await stream(thread, prompt);
  const step2 = await stream(thread, follow_up);
  writeJsonl(outputs[0], step1);
  writeJsonl(outputs[1], step2);
}

// The typescript lane's entry point: `node _run.mjs SDK_ENTRY MODULE KWARGS_JSON`.
// Imports the pinned @openai/codex-sdk from where the driver installed it (ESM
// has no search path to give it), then calls the scenario's
// record(outputPath, options) with the scenario's kwargs and `Codex`.
import { pathToFileURL } from "node:url";

const [sdkEntry, modulePath, kwargs] = process.argv.slice(2);
const { Codex } = await import(pathToFileURL(sdkEntry).href);
const { record } = await import(pathToFileURL(modulePath).href);
const options = JSON.parse(kwargs);
await record(options.outputs[0], { ...options, Codex });

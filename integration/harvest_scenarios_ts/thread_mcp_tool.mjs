// Tools of a local stdio MCP server, approved by the config: see
// thread_mcp_tool.py. The server is copied into the workdir and started as
// `python3 mcp_server.py`, so the arguments name no path of this machine.
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { oneTurn } from "./_one_turn.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export async function record(outputPath, options) {
  copyFileSync(join(here, "..", "harvest_scenarios", "_mcp_server.py"), "mcp_server.py");
  const turn = oneTurn({
    config: {
      mcp_servers: {
        fixture: { command: "python3", args: ["mcp_server.py"], default_tools_approval_mode: "approve" },
      },
    },
  });
  await turn(outputPath, options);
}

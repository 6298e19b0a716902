"""A local MCP server over stdio for the scenarios, standard library only:
what codex reaches when a scenario configures ``mcp_servers`` for its
thread. Its tools:

- ``confirm_deploy`` asks the user first (``elicitation/create``, which
  codex forwards to the client as ``mcpServer/elicitation/request``) and
  answers with what the user said;
- ``ticket_summary`` answers with text and structured content;
- ``broken`` answers with an error result.
"""

import json
import sys

TOOLS = [
    {
        "name": "confirm_deploy",
        "description": "Deploys a ticket's change once the user confirms.",
        "inputSchema": {"type": "object", "properties": {"ticket": {"type": "string"}}, "required": ["ticket"]},
    },
    {
        "name": "ticket_summary",
        "description": "Summarises a ticket.",
        "inputSchema": {"type": "object", "properties": {"ticket": {"type": "string"}}, "required": ["ticket"]},
    },
    {
        "name": "broken",
        "description": "Always fails.",
        "inputSchema": {"type": "object", "properties": {}},
    },
]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def ask(question, schema):
    """Sends an elicitation to the client and waits for its answer."""
    send({"jsonrpc": "2.0", "id": "elicit-1", "method": "elicitation/create",
          "params": {"message": question, "requestedSchema": schema}})
    while True:
        message = receive()
        if message.get("id") == "elicit-1" and "method" not in message:
            return message.get("result") or {"action": "error", "error": message.get("error")}


def call(name, arguments):
    if name == "confirm_deploy":
        answer = ask(
            f"Deploy {arguments.get('ticket')}?",
            {"type": "object", "properties": {"confirm": {"type": "boolean", "title": "Deploy now"}}, "required": ["confirm"]},
        )
        text = f"elicitation {answer.get('action')}: {json.dumps(answer.get('content'), sort_keys=True)}"
        return {"content": [{"type": "text", "text": text}], "isError": False}
    if name == "ticket_summary":
        ticket = arguments.get("ticket")
        return {
            "content": [{"type": "text", "text": f"{ticket}: open, assigned to the harvester."}],
            "structuredContent": {"ticket": ticket, "state": "open", "assignee": "harvester"},
            "isError": False,
        }
    return {"content": [{"type": "text", "text": f"{name} failed: the fixture tool always fails"}], "isError": True}


def main():
    while True:
        message = receive()
        method, id_ = message.get("method"), message.get("id")
        if id_ is None:
            continue
        if method == "initialize":
            result = {
                "protocolVersion": message["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "harvest-fixture", "version": "1.0.0"},
            }
        elif method == "tools/list":
            result = {"tools": TOOLS}
        elif method == "tools/call":
            result = call(message["params"]["name"], message["params"].get("arguments") or {})
        else:
            result = {}
        send({"jsonrpc": "2.0", "id": id_, "result": result})


if __name__ == "__main__":
    main()

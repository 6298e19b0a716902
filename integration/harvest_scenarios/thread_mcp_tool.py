"""Tools of a local stdio MCP server (``_mcp_server.py``, copied into the
workdir), whose calls the thread's config approves: found by a tool
search, one answering with text and structured content, one failing."""

from ._client_answers import mcp_server
from ._record import open_codex, stream, write_jsonl


def record(output_path, *, codex_path, model, prompt, **_):
    config = mcp_server()
    config["mcp_servers"]["fixture"]["default_tools_approval_mode"] = "approve"
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True, config=config)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

"""An MCP tool of the local fixture server (_mcp_server.py) whose call codex asks the client to allow and whose server asks the user to confirm: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

"""More permissions the model asks for (request_permissions), the client granting them: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

"""A command approval accepted with the exec-policy amendment codex proposes, so the same command runs again unasked: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

"""A tool the client declares and runs itself (dynamicTools, item/tool/call): see _client_answers.py."""

from ._client_answers import record  # noqa: F401

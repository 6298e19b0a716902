"""A command approval the client answers itself, declining it: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

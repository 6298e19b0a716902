"""A file change (apply_patch) the client approves itself: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

"""Error path (rate_limit): HTTP 429 without Retry-After, which codex does not retry: the turn fails. See _failing_turn.py."""

from ._failing_turn import record  # noqa: F401

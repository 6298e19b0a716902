"""Structured output, a reply that is not the JSON the schema asks for: neither
codex nor the SDK validates it, so the turn still completes. See _structured.py."""

from ._structured import record  # noqa: F401

"""Structured output, a reply that fits the schema: see _structured.py."""

from ._structured import record  # noqa: F401

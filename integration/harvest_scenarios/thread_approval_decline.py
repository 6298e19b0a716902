"""Sandbox approval, declineed: see _approval.py."""

from ._approval import record  # noqa: F401

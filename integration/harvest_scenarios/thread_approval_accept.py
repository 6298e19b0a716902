"""Sandbox approval, accepted: see _approval.py."""

from ._approval import record  # noqa: F401

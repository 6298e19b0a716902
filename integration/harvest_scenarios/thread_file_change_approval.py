"""A file change (apply_patch) the client answers itself, declining it:
see _client_answers.py. Declined, not accepted: an applied patch's
turn/diff/updated notifications are absent when codex runs in the Nix
build sandbox, so an accepted patch's fixture would differ between the two
ways in (cause not yet found)."""

from ._client_answers import record  # noqa: F401

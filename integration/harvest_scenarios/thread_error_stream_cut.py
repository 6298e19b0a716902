"""Error path (stream_cut): see _failing_turn.py; the model script decides how it fails."""

from ._failing_turn import record  # noqa: F401

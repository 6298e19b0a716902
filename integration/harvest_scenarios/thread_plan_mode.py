"""A turn in plan mode (``collaborationMode``, experimental): the model
answers with a proposed plan, which codex shows as a ``plan`` item with
its text streamed (``item/plan/delta``): see _client_answers.py."""

from ._client_answers import record  # noqa: F401

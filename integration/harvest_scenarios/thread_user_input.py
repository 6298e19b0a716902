"""A question the model asks the user in plan mode (request_user_input), the client answering: see _client_answers.py."""

from ._client_answers import record  # noqa: F401

"""What a client asks codex about itself, through the SDK: the account it
runs as and the models it offers. The fixture is the turn's events, then
each request's response as the SDK returns it: ``{"request": <method>,
"response": <result>}``."""

from ._record import open_codex, stream, write_jsonl
from .thread_requests import response


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        events = [response("account/read", codex.account())]
        events.append(response("model/list", codex.models(include_hidden=True)))
        codex.login_api_key("placeholder-key-for-login")
        events.append(response("account/read", codex.account()))
        thread = codex.thread_start(model=model)
        events.extend(stream(thread.turn(prompt)))
    write_jsonl(output_path, events)

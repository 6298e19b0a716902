"""A thread's life beyond its turns, through the SDK's thread requests:
named, read back with its turns, listed. The fixture is the turn's events,
then each request's response as the SDK returns it: ``{"request":
<method>, "response": <result>}``.

Archiving is left out: codex unloads an archived thread on its own time,
so whether its ``thread/status/changed`` (``notLoaded``) comes before the
client leaves varies from run to run (measured with ``check --repeat 3``)."""

from ._record import open_codex, stream, write_jsonl


def response(method, result):
    return {"request": method, "response": result.model_dump(mode="json", by_alias=True, exclude_unset=True)}


def record(output_path, *, codex_path, model, prompt, **_):
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model)
        events = stream(thread.turn(prompt))
        events.append(response("thread/name/set", thread.set_name("harvested")))
        events.append(response("thread/read", thread.read(include_turns=True)))
        events.append(response("thread/list", codex.thread_list()))
    write_jsonl(output_path, events)

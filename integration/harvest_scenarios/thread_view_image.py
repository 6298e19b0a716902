"""The model looks at an image in the workdir (view_image): an imageView item."""

import struct
import zlib

from openai_codex import Sandbox

from ._record import open_codex, stream, write_jsonl


def png(width, height, rgb):
    """A PNG of one colour, made with the standard library."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def record(output_path, *, codex_path, model, prompt, **_):
    with open("pixel.png", "wb") as f:
        f.write(png(4, 4, (0, 102, 204)))
    with open_codex(codex_path) as codex:
        thread = codex.thread_start(model=model, ephemeral=True, sandbox=Sandbox.read_only)
        events = stream(thread.turn(prompt))
    write_jsonl(output_path, events)

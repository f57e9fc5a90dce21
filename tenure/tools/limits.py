"""How much a tool may return. A tool result travels in an activity result and in the
transcript, so it stays far below Temporal's payload limits (2 MB, and tenure's own
1 MB): each is cut to MAX_RESULT_BYTES of UTF-8 with a note that says how to get the rest.
The tools cut their own output first, with a note that fits them; `tool_call` cuts every
tool's result again (a custom tool's included) as the last line of defence."""

from __future__ import annotations

import asyncio

MAX_RESULT_BYTES = 256 * 1024


def utf8_prefix(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` bytes of UTF-8 (never half a
    character)."""
    if len(text) * 4 <= limit:  # even all 4-byte characters would fit
        return text
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def cap_bytes(text: str, hint: str, limit: int = MAX_RESULT_BYTES) -> str:
    """`text` if it fits in `limit` bytes, else its first bytes (cut at a character
    boundary) and a note with the size and `hint` (how to get the rest)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    kept = data[:limit].decode("utf-8", errors="ignore")
    return f"{kept}\n[output cut at {limit // 1024} KB of {len(data):,} bytes: {hint}]"


async def stream_head(stream: asyncio.StreamReader, limit: int) -> bytes:
    """The first `limit` bytes of a stream, read to its end so the writer never blocks
    on a full pipe (and nothing past `limit` is held)."""
    kept = bytearray()
    while chunk := await stream.read(65536):
        kept += chunk[: limit - len(kept)]
    return bytes(kept)

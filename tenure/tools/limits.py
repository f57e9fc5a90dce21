"""How much a tool may return. A tool result travels in an activity result and in the
transcript, so it stays far below Temporal's payload limits (2 MB): each is cut to
MAX_RESULT_BYTES of UTF-8 with a note that says how to get the rest."""

from __future__ import annotations

MAX_RESULT_BYTES = 256 * 1024


def cap_bytes(text: str, hint: str, limit: int = MAX_RESULT_BYTES) -> str:
    """`text` if it fits in `limit` bytes, else its first bytes (cut at a character
    boundary) and a note with the size and `hint` (how to get the rest)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    kept = data[:limit].decode("utf-8", errors="ignore")
    return f"{kept}\n[output cut at {limit // 1024} KB of {len(data):,} bytes: {hint}]"

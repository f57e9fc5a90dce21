"""Where a terminal left off in each session's event stream, so that `tenure chat ID`
replays only what was missed."""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import quote

import platformdirs


def offset_file(session_id: str) -> Path:
    name = quote(session_id, safe="")
    return Path(platformdirs.user_data_dir("tenure")) / "chat" / f"{name}.offset"


def saved_offset(session_id: str) -> int:
    """The stream offset to resume from; 0 (the whole stream) when none was saved."""
    with contextlib.suppress(OSError, ValueError):
        return max(0, int(offset_file(session_id).read_text()))
    return 0


def save_offset(session_id: str, offset: int) -> None:
    path = offset_file(session_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{offset}\n")

"""Helpers for tests that watch real processes and the files they write."""

from __future__ import annotations

import asyncio
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def dies(pid: int, within: float = 1.0) -> bool:
    """Whether the process is gone within `within` seconds (a signalled process takes a
    moment to die)."""
    for _ in range(int(within * 100)):
        if not alive(pid):
            return True
        await asyncio.sleep(0.01)
    return not alive(pid)


async def wait_for_file(path: Path) -> str:
    """The file's stripped text, once it exists and is not empty (5 s at most)."""
    for _ in range(500):
        if path.exists() and (text := path.read_text().strip()):
            return text
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} never appeared")

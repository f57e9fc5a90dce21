"""Lines a person types, read without ever blocking the event loop (which may host an
in-process worker): from a pipe or a terminal in its usual line mode."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Protocol


class Lines(Protocol):
    typed: str
    """The line being typed (shown by the view), where the source can tell."""

    async def next(self) -> str | None:
        """The next line, or None once the input is closed."""
        ...


class StdinLines:
    """Lines from stdin, read by a daemon thread; the terminal (if any) echoes them."""

    typed = ""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = False
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True).start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(0, 4096)  # not sys.stdin: no lock held at interpreter exit
            except OSError:
                chunk = b""
            if not chunk:
                self._put(loop, [buffer] if buffer else [], closed=True)
                return
            *lines, buffer = (buffer + chunk).split(b"\n")
            if not self._put(loop, lines):
                return

    def _put(self, loop: asyncio.AbstractEventLoop, lines: list[bytes], closed: bool = False
             ) -> bool:
        items = [line.decode(errors="replace") for line in lines] + ([None] if closed else [])
        try:
            for item in items:
                loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone
            return False
        return True

    async def next(self) -> str | None:
        if not self._closed:
            line = await self._queue.get()
            self._closed = line is None
            return line
        return None

"""Keys typed on a terminal, edited into lines here rather than by the terminal, so the
line being typed can be drawn below output that keeps streaming in."""

from __future__ import annotations

import asyncio
import codecs
import os
import re
import termios
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)
"""Arrow keys, function keys and the like: not part of a line."""
WORD_END = re.compile(r"\S+\s*$")


class Keyboard:
    """The terminal on stdin in cbreak mode (no echo, no line buffering, Ctrl-C still a
    SIGINT) while in use, read by a daemon thread. Enter ends a line; Backspace,
    Ctrl-U (the whole line) and Ctrl-W (a word) edit it; Ctrl-D on an empty line closes
    the input. `on_change` is called after every key, on the event loop."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.typed = ""
        self._on_change = on_change
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._saved: list[Any] = []

    def __enter__(self) -> Keyboard:
        self._saved = termios.tcgetattr(0)
        mode = termios.tcgetattr(0)
        mode[3] &= ~(termios.ECHO | termios.ICANON)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(0, termios.TCSANOW, mode)
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        termios.tcsetattr(0, termios.TCSANOW, self._saved)

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                chunk = os.read(0, 1024)
            except OSError:
                chunk = b""
            try:
                loop.call_soon_threadsafe(self._feed, chunk)
            except RuntimeError:  # the event loop is gone
                return
            if not chunk:
                return

    def _feed(self, chunk: bytes) -> None:
        if self._closed:
            return
        if not chunk:
            self._close()
            return
        keys = ESCAPE_SEQUENCE.sub("", self._decoder.decode(chunk))
        for key in keys.replace("\r\n", "\n").replace("\r", "\n"):
            if key == "\n":
                self._queue.put_nowait(self.typed)
                self.typed = ""
            elif key in ("\x7f", "\b"):
                self.typed = self.typed[:-1]
            elif key == "\x15":
                self.typed = ""
            elif key == "\x17":
                self.typed = WORD_END.sub("", self.typed)
            elif key == "\x04":
                if not self.typed:
                    self._close()
            elif key == "\t":
                self.typed += " "
            elif key.isprintable():
                self.typed += key
        self._on_change()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)

    async def next(self) -> str | None:
        """The next line, or None once the input is closed (Ctrl-D, or stdin gone)."""
        if self._queue.empty() and self._closed:
            return None
        return await self._queue.get()

"""A command run in a real pseudo-terminal, its screen rendered by pyte, for tests that
type on the keyboard (Ctrl-C included) and read what a person would see.

The child gets the terminal as its controlling tty in a session of its own, so writing
Ctrl-C to the terminal sends it SIGINT, as a keyboard would. Its output is read on the
event loop (which may host a worker), never blocking it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import struct
import sys
import termios
from collections.abc import Sequence

import pyte

CONTROLLING_TTY = (
    "import fcntl, os, sys, termios\n"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)
"""Run by the child first: make its stdin (the terminal) its controlling tty, then become
the real command."""


class PseudoTerminal:
    def __init__(self, process: asyncio.subprocess.Process, master: int, rows: int,
                 columns: int) -> None:
        self.process = process
        self._master = master
        self.screen = pyte.Screen(columns, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        asyncio.get_running_loop().add_reader(master, self._read)

    @classmethod
    async def start(cls, args: Sequence[str], env: dict[str, str], *, rows: int = 60,
                    columns: int = 120) -> PseudoTerminal:
        """Run `python ARGS...` in a new terminal of this size."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**env, "TERM": "xterm-256color"}
        for overriding in ("COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
            env.pop(overriding, None)  # what rich would believe over the terminal
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CONTROLLING_TTY, *args, env=env,
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        )
        os.close(slave)
        return cls(process, master, rows, columns)

    def _read(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._master)
            self._closed.set()
        self._stream.feed(data)
        self._changed.set()

    @property
    def text(self) -> str:
        """The screen as text, trailing blanks removed."""
        return "\n".join(line.rstrip() for line in self.screen.display).rstrip()

    def type(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    async def shows(self, *needles: str, timeout: float = 30) -> str:
        """The screen once it shows every needle (fails the test after `timeout`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(needle in self.text for needle in needles):
            self._changed.clear()
            left = deadline - loop.time()
            if left <= 0:
                missing = [n for n in needles if n not in self.text]
                raise AssertionError(f"the screen never showed {missing}:\n{self.text}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass
        return self.text

    async def exits(self, timeout: float = 30) -> int:
        """The exit code, once the command has ended and all its output is on screen."""
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
            await asyncio.wait_for(self._closed.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"still running after {timeout} s:\n{self.text}") from None
        return code

    async def close(self) -> None:
        """Kill the command if it still runs, and close the terminal."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if not self._closed.is_set():
            asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)

"""The reaper: a small process beside each worker that kills the process groups of the
worker's shell commands when the worker goes away, even by SIGKILL, so that no command
or background job outlives the worker that could reach it.

The worker writes `+PGID` on the reaper's stdin when a command starts and `-PGID` once
the command's group is gone. When the pipe closes (the worker exited or died), the reaper
SIGKILLs every group still listed, then exits.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys


class Reaper:
    """The worker's side: started with the first command, started again if it died."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def watch(self, pgid: int) -> None:
        self._send(f"+{pgid}\n")

    def release(self, pgid: int) -> None:
        self._send(f"-{pgid}\n")

    def _send(self, line: str) -> None:
        if self._process is None or self._process.poll() is not None:
            # Its own session: a Ctrl-C meant for the worker does not reach it. Its stdin
            # is close-on-exec here, so commands do not hold the pipe open.
            self._process = subprocess.Popen(
                [sys.executable, __file__],  # as a script: no package import, no warning
                stdin=subprocess.PIPE,
                start_new_session=True,
            )
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(line.encode())
            self._process.stdin.flush()
        except OSError as e:
            logging.getLogger(__name__).warning("The command reaper is unreachable: %s", e)


reaper = Reaper()
"""This worker process's reaper."""


def main() -> None:
    groups: set[int] = set()
    for line in sys.stdin.buffer:
        sign, pgid = line[:1], line[1:].strip()
        if pgid.isdigit():
            (groups.add if sign == b"+" else groups.discard)(int(pgid))
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


if __name__ == "__main__":
    main()

"""Helpers for tests that watch real processes and the files they write."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tenure.devserver import DevServer


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


async def start_worker(dev_server: DevServer, queue: str, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "TENURE_TASK_QUEUE": queue,
           # A killed worker's sessions move to another one after this many seconds.
           "TENURE_HOST_TIMEOUT": "2"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.workers", env=env,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
    )


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()

"""The `tenure` command run as a subprocess against the test dev server, with its
output collected. A subprocess never blocks this event loop, which hosts the fixture's
worker."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tenure.devserver import DevServer


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def cli_env(dev_server: DevServer, task_queue: str, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: the test server and the fixture worker's task queue, and
    its own user data directory (where `tenure chat` keeps its place in each session)."""
    values = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_server.address,
        "TENURE_TASK_QUEUE": task_queue,
        "COLUMNS": "200",
        "XDG_DATA_HOME": str(tmp_path / "user-data"),
    }
    values.pop("TENURE_MODEL", None)
    return values


async def tenure(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = 60,
    cwd: Path | None = None,
) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"tenure {args} timed out:\n{out.decode()}\n{err.decode()}")
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())

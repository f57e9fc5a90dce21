"""Real MCP servers for the tests: mcp-server-time (PyPI), server-everything and
@playwright/mcp (npm, pinned in tests/mcp_servers, `npm ci` there), and counter.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from temporalio.worker import Replayer

from tenure import AgentClient, SessionHandle
from tenure.devserver import free_port, is_listening
from tenure.models import McpServerSpec, SessionStatus, ToolResultBlock, WorkerPolicy
from tenure.payloads import data_converter
from tenure.workers import build_worker
from tenure.workflows import AgentSession

SERVERS = Path(__file__).parent / "mcp_servers"
BIN = SERVERS / "node_modules" / ".bin"
EVERYTHING = BIN / "mcp-server-everything"
PLAYWRIGHT = BIN / "playwright-mcp"
TIME = Path(sys.executable).parent / "mcp-server-time"
COUNTER = SERVERS / "counter.py"

needs_npm = pytest.mark.skipif(
    not EVERYTHING.exists(), reason="run `npm ci` in tests/mcp_servers (see .ci/run)"
)


def time_server() -> McpServerSpec:
    return McpServerSpec(command=str(TIME))


def everything_stdio() -> McpServerSpec:
    return McpServerSpec(type="stdio", command=str(EVERYTHING), args=["stdio"])


def counter_server(counter_file: Path) -> McpServerSpec:
    return McpServerSpec(
        command=sys.executable, args=[str(COUNTER)], env={"COUNTER_FILE": str(counter_file)}
    )


def descendants() -> list[int]:
    """Pids of this process's descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def server_pids(marker: str) -> list[int]:
    """Pids of the servers this test process started whose command line holds `marker`."""
    pids = []
    for pid in descendants():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in command:
            pids.append(pid)
    return pids


def kill_servers(marker: str) -> list[int]:
    pids = server_pids(marker)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


@asynccontextmanager
async def everything_http(
    port: int | None = None, transport: str = "streamableHttp"
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """server-everything over streamable HTTP (or `sse`): its URL and process."""
    port = port or free_port()
    process = await asyncio.create_subprocess_exec(
        "node", str(SERVERS / "node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
        transport, env={**os.environ, "PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            if is_listening(f"127.0.0.1:{port}", timeout=0.1):
                break
            await asyncio.sleep(0.05)
        path = "sse" if transport == "sse" else "mcp"
        yield f"http://127.0.0.1:{port}/{path}", process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def mcp_worker(
    client: Client,
    servers: dict[str, McpServerSpec],
    policy: WorkerPolicy | None = None,
    **options: Any,
) -> AsyncIterator[AgentClient]:
    """A worker with these MCP servers on a task queue of its own, and a client for it."""
    queue = f"mcp-{uuid.uuid4().hex[:8]}"
    async with build_worker(
        client, task_queue=queue, mcp_servers=servers, policy=policy, **options
    ):
        yield AgentClient(client, task_queue=queue)


async def assert_replays(handle: SessionHandle) -> None:
    """The session's history replays with AgentSession: the code paths it took are
    deterministic."""
    history = await handle.workflow.fetch_history()
    replayer = Replayer(workflows=[AgentSession], data_converter=data_converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def results(messages: list[Any]) -> list[ToolResultBlock]:
    return [b for m in messages for b in m.content if isinstance(b, ToolResultBlock)]


def done(status: SessionStatus) -> bool:
    return status.state.kind in ("idle", "done", "error")

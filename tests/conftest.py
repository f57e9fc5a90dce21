"""Fixtures: a real Temporal dev server for the whole run, a worker, scripts, workspaces."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer, free_port, start_dev_server
from tenure.models import SessionStatus
from tenure.providers.anthropic import default_client
from tenure.workers import build_worker, connect

# Large payloads of the whole run (and of the workers it starts) go to a payload store of
# its own, not the user's.
os.environ.setdefault("TENURE_PAYLOAD_DIR", tempfile.mkdtemp(prefix="tenure-payloads-"))


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    log = tmp_path_factory.mktemp("temporal") / "server.log"
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True, log_file=log)
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def temporal_client(dev_server: DevServer) -> Client:
    return await connect(dev_server.address)


@pytest.fixture(scope="session")
async def task_queue(temporal_client: Client) -> AsyncIterator[str]:
    """A task queue served by an in-process worker for the whole run."""
    queue = f"tenure-tests-{uuid.uuid4().hex[:8]}"
    worker = build_worker(temporal_client, task_queue=queue)
    async with worker:
        yield queue


@pytest.fixture(scope="session")
async def agent_client(temporal_client: Client, task_queue: str) -> AgentClient:
    return AgentClient(temporal_client, task_queue=task_queue)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """A local fake of the Messages API that the worker's Anthropic client talks to."""
    with FakeAnthropic() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        default_client.cache_clear()
        yield server
    default_client.cache_clear()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


ScriptWriter = Callable[[list[Any]], str]


@pytest.fixture
def script(tmp_path: Path) -> ScriptWriter:
    """Write a scripted-provider file and return the `scripted:PATH` model string."""

    def write(turns: list[Any]) -> str:
        path = tmp_path / f"script-{uuid.uuid4().hex[:6]}.json"
        path.write_text(json.dumps(turns))
        return f"scripted:{path}"

    return write


def tool_use(name: str, tool_input: dict[str, Any], use_id: str | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id or f"toolu_{uuid.uuid4().hex[:8]}", "name": name,
            "input": tool_input}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


async def wait_for(
    handle: SessionHandle,
    predicate: Callable[[SessionStatus], bool],
    timeout: float = 20.0,
) -> SessionStatus:
    """Poll the status query until predicate holds (fails the test after timeout)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await handle.status()
        if predicate(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting; last status: {status.model_dump()}")
        await asyncio.sleep(0.05)


def state_is(*kinds: str) -> Callable[[SessionStatus], bool]:
    return lambda s: s.state.kind in kinds


StartSession = Callable[..., Awaitable[SessionHandle]]


@pytest.fixture
def start_session(agent_client: AgentClient, workspace: Path) -> StartSession:
    async def start(model: str, **fields: Any) -> SessionHandle:
        fields.setdefault("workspace", str(workspace))
        return await agent_client.start(SessionConfig(model=model, **fields))

    return start


@pytest.fixture
async def worker_processes() -> AsyncIterator[tuple[str, list[asyncio.subprocess.Process]]]:
    """A task queue of its own, served by `python -m tenure.workers` subprocesses."""
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    processes: list[asyncio.subprocess.Process] = []
    yield queue, processes
    for p in processes:
        if p.returncode is None:
            p.kill()
            await p.wait()

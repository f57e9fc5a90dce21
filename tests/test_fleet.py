"""The fleet: search attributes kept current by each session, and listing the sessions
that wait for a person, on any worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import ScriptWriter, StartSession, state_is, tool_use, wait_for
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, WaitingSession
from tenure.client import SearchAttributeMissingError
from tenure.devserver import DevServer
from tenure.models.search import TENURE_MODEL, TENURE_STATE, TENURE_TURNS
from tenure.workers import build_worker, connect

T = TypeVar("T")


async def eventually(read: Callable[[], Awaitable[T]], holds: Callable[[T], bool],
                     timeout: float = 20.0) -> T:
    """Poll a read of the visibility index, which lags the sessions by a moment."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if holds(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.2)


async def test_sessions_keep_their_search_attributes_current(
    start_session: StartSession, script: ScriptWriter
) -> None:
    model = script(["One.", "Two."])
    handle = await start_session(model, prompt="first")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 1)
    await handle.send("second")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    attributes = (await handle.workflow.describe()).typed_search_attributes
    assert attributes.get(TENURE_STATE) == "idle"
    assert attributes.get(TENURE_MODEL) == model
    assert attributes.get(TENURE_TURNS) == 2
    await handle.end()
    await handle.result()
    assert (await handle.workflow.describe()).typed_search_attributes.get(TENURE_STATE) == "done"


async def test_waiting_lists_the_sessions_that_wait_for_a_person(
    agent_client: AgentClient, start_session: StartSession, script: ScriptWriter
) -> None:
    asking = await start_session(
        script([[tool_use("Bash", {"command": "rm -r build"})], "Removed."]), prompt="clean"
    )
    idle = await start_session(script(["Nothing to do."]), prompt="rest")
    await wait_for(asking, state_is("waiting_for_permission"))
    await wait_for(idle, state_is("idle"))

    def listed(waiting: list[WaitingSession]) -> bool:
        return asking.id in {w.session.id for w in waiting}

    waiting = await eventually(agent_client.waiting, listed)
    entry = next(w for w in waiting if w.session.id == asking.id)
    assert entry.session.state == "waiting_for_permission"
    assert [(p.tool_name, p.input) for p in entry.status.pending_permissions] == [
        ("Bash", {"command": "rm -r build"})]
    assert idle.id not in {w.session.id for w in waiting}
    by_state = await agent_client.list(state="idle")
    assert asking.id not in {s.id for s in by_state}
    assert idle.id in {s.id for s in await eventually(
        lambda: agent_client.list(state="idle"), lambda found: idle.id in {s.id for s in found})}

    await asking.approve(entry.status.pending_permissions[0].request_id)
    await wait_for(asking, state_is("idle"))
    # Even before the index catches up, a session that stopped waiting is not listed.
    assert asking.id not in {w.session.id for w in await agent_client.waiting()}
    for handle in (asking, idle):
        await handle.end()


async def test_a_namespace_without_the_attributes_runs_sessions_but_cannot_list_by_state(
    dev_server: DevServer, temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    namespace = f"bare-{uuid.uuid4().hex[:6]}"
    await temporal_client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    client = await connect(dev_server.address, namespace)
    agents = AgentClient(client, task_queue="bare")
    async with build_worker(client, task_queue="bare"):
        handle = await agents.start(SessionConfig(
            model=script(["Fine without them."]), prompt="hi", workspace=str(workspace),
            mode="autonomous",
        ))
        outcome = await handle.result()
    assert (outcome.text, outcome.error) == ("Fine without them.", None)
    assert (await handle.workflow.describe()).typed_search_attributes.get(TENURE_STATE) is None
    with pytest.raises(SearchAttributeMissingError, match="Register tenure's search attributes"):
        await agents.list(state="idle")

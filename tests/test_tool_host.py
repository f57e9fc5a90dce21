"""A session that thinks on the shared workers and acts on a tools-only worker of its own
(`tenure worker --tools-only --task-queue NAME`, `SessionConfig.tool_queue`)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from conftest import ScriptWriter, text, tool_use, wait_for
from mcp_support import assert_replays, results, time_server
from temporalio.client import Client
from test_mcp_sessions import scheduled

from tenure import AgentClient, SessionConfig
from tenure.workers import build_worker


async def test_tools_run_on_the_tools_only_worker_and_model_calls_do_not(
    temporal_client: Client, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"laptop-{uuid.uuid4().hex[:8]}"
    model = script([
        [tool_use("Bash", {"command": "echo on the laptop > where.txt"})],
        [tool_use("mcp__time__get_current_time", {"timezone": "UTC"})],
        [text("done")],
    ])
    laptop = build_worker(
        temporal_client, task_queue=queue, tools_only=True, mcp_servers={"time": time_server()}
    )
    async with laptop:
        handle = await agent_client.start(SessionConfig(
            model=model, prompt="go", workspace=str(workspace), mode="autonomous",
            tool_queue=queue, permission_mode="bypassPermissions",
        ))
        outcome = await handle.result()
    assert outcome.stop_reason == "end_turn"
    bash, now = results((await handle.transcript()).messages)
    assert not bash.is_error and not now.is_error, (bash.content, now.content)
    assert (workspace / "where.txt").read_text() == "on the laptop\n"
    assert [q for q, _ in await scheduled(handle, "prepare_session")] == [queue]
    assert {q for q, _ in await scheduled(handle, "tool_call")} == {laptop.host_queue}
    assert {q for q, _ in await scheduled(handle, "close_session")} == {laptop.host_queue}
    model_queues = {q for q, _ in await scheduled(handle, "model_call")}
    assert model_queues == {agent_client.task_queue}
    assert laptop.host_queue.startswith(f"{queue}@")


async def test_while_the_tool_host_is_offline_the_session_says_so_and_waits(
    temporal_client: Client, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"laptop-{uuid.uuid4().hex[:8]}"
    model = script([[tool_use("Bash", {"command": "echo hi"})], [text("done")]])
    handle = await agent_client.start(SessionConfig(
        model=model, prompt="go", workspace=str(workspace), mode="autonomous",
        tool_queue=queue, permission_mode="bypassPermissions",
    ))
    status = await wait_for(
        handle, lambda s: "offline" in (s.state.message or ""), timeout=30
    )
    assert queue in (status.state.message or "")
    assert status.turn == 0  # no model call before it has a host
    laptop = build_worker(temporal_client, task_queue=queue, tools_only=True)
    async with laptop:
        outcome = await handle.result()
    assert outcome.stop_reason == "end_turn"
    [bash] = results((await handle.transcript()).messages)
    assert "hi" in bash.content
    assert {q for q, _ in await scheduled(handle, "tool_call")} == {laptop.host_queue}
    await assert_replays(handle)


async def test_a_restarted_tool_host_takes_the_session_back(
    temporal_client: Client, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"laptop-{uuid.uuid4().hex[:8]}"
    model = script([
        [tool_use("Bash", {"command": "echo one"})], [text("first")],
        [tool_use("Bash", {"command": "echo two"})], [text("second")],
    ])
    first = build_worker(temporal_client, task_queue=queue, tools_only=True,
                         host_timeout=timedelta(seconds=2))
    async with first:
        handle = await agent_client.start(SessionConfig(
            model=model, prompt="go", workspace=str(workspace), tool_queue=queue,
            permission_mode="bypassPermissions",
        ))
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    # The machine's worker restarts (a new process: a new host queue on the same NAME).
    second = build_worker(temporal_client, task_queue=queue, tools_only=True,
                          host_timeout=timedelta(seconds=2))
    async with second:
        await handle.send("again")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4, timeout=60)
        await handle.end()
    one, two = results((await handle.transcript()).messages)
    assert "one" in one.content and "two" in two.content, two.content
    assert [q for q, _ in await scheduled(handle, "prepare_session")] == [queue, queue]
    # The second call waited for the old host, then went to the new one.
    assert [q for q, _ in await scheduled(handle, "tool_call")] == [
        first.host_queue, first.host_queue, second.host_queue,
    ]

"""Parallel tool calls: the calls of one model reply are decided first; consecutive calls
that change nothing on the host run side by side, the others one at a time in the reply's
order; a call waiting for a person holds back only itself and the calls after its group;
results go back in the reply's order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle, ToolContext, tool
from tenure.models import ToolResultBlock
from tenure.models.events import PermissionResolved, SessionEvent, ToolEnded
from tenure.workers import build_worker


class Nap(BaseModel):
    label: str
    seconds: float = 1.0


@tool(kind="read")
async def nap(input: Nap, ctx: ToolContext) -> str:
    """Sleeps, then says its label."""
    await asyncio.sleep(input.seconds)
    return f"slept {input.label}"


@tool(kind="read")
async def peek(input: Nap, ctx: ToolContext) -> str:
    """Says its label (the tests make it ask for approval)."""
    return f"peeked {input.label}"


@pytest.fixture
async def agents(temporal_client: Client) -> AsyncIterator[AgentClient]:
    queue = f"parallel-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, task_queue=queue, tools=[nap, peek]):
        yield AgentClient(temporal_client, task_queue=queue)


async def tool_call_times(handle: SessionHandle) -> list[tuple[float, float]]:
    """When each tool_call activity started and completed (from the history), in the
    order the calls were scheduled. (A started event is written when its activity ends,
    so its id says nothing of the order; its time is the attempt's start.)"""
    history = await handle.workflow.fetch_history()
    scheduled = [e.event_id for e in history.events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                 and e.activity_task_scheduled_event_attributes.activity_type.name == "tool_call"]
    started: dict[int, float] = {}
    completed: dict[int, float] = {}
    for e in history.events:
        at = e.event_time.ToDatetime().timestamp()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started[e.activity_task_started_event_attributes.scheduled_event_id] = at
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed[e.activity_task_completed_event_attributes.scheduled_event_id] = at
    return [(started[s], completed[s]) for s in scheduled if s in completed]


def results(messages: list[Any]) -> list[ToolResultBlock]:
    return [b for m in messages for b in m.content if isinstance(b, ToolResultBlock)]


async def test_reads_of_one_reply_run_side_by_side_and_answer_in_order(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    labels = ["a", "b", "c", "d", "e"]
    calls = [tool_use("nap", {"label": label}, f"toolu_{label}") for label in labels]
    model = script([calls, [text("rested")]])
    handle = await agents.start(SessionConfig(
        model=model, prompt="nap", mode="autonomous", workspace=str(workspace), tools=["nap"]))
    outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome.text == "rested"
    got = results((await handle.transcript()).messages)
    assert [(r.tool_use_id, r.content) for r in got] == [
        (f"toolu_{label}", f"slept {label}") for label in labels]
    spans = await tool_call_times(handle)
    assert len(spans) == 5
    # Each of the five started before any of them completed: they overlapped.
    assert max(started for started, _ in spans) < min(done for _, done in spans), spans


async def test_state_changing_calls_keep_the_replys_order(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    """Write, Read, Edit, Read+Glob: the reads see the file as the calls before them
    left it, and nothing starts before the state-changing call before it is done."""
    calls = [
        tool_use("Write", {"file_path": "f.txt", "content": "one\n"}, "toolu_w"),
        tool_use("Read", {"file_path": "f.txt"}, "toolu_r1"),
        tool_use("Edit", {"file_path": "f.txt", "old_string": "one", "new_string": "two"},
                 "toolu_e"),
        tool_use("Read", {"file_path": "f.txt"}, "toolu_r2"),
        tool_use("Glob", {"pattern": "*.txt"}, "toolu_g"),
    ]
    model = script([calls, [text("edited")]])
    handle = await agents.start(SessionConfig(
        model=model, prompt="edit", mode="autonomous", workspace=str(workspace),
        permission_mode="acceptEdits", tools=["Write", "Read", "Edit", "Glob"]))
    outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome.text == "edited"
    got = {r.tool_use_id: r for r in results((await handle.transcript()).messages)}
    assert list(got) == ["toolu_w", "toolu_r1", "toolu_e", "toolu_r2", "toolu_g"]
    assert not any(r.is_error for r in got.values()), got
    assert "one" in got["toolu_r1"].content and "two" not in got["toolu_r1"].content
    assert "two" in got["toolu_r2"].content
    write, read1, edit, read2, glob = await tool_call_times(handle)
    assert write[1] <= read1[0] and read1[1] <= edit[0] and edit[1] <= read2[0]
    assert edit[1] <= glob[0]
    assert (workspace / "f.txt").read_text() == "two\n"


async def follow(handle: SessionHandle, into: list[SessionEvent]) -> None:
    async for item in handle.events(0):
        into.append(item.event)


async def test_a_call_waiting_for_a_person_holds_back_only_itself_and_what_follows(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    calls = [
        tool_use("nap", {"label": "a", "seconds": 0.1}, "toolu_a"),
        tool_use("peek", {"label": "p"}, "toolu_p"),
        tool_use("nap", {"label": "b", "seconds": 0.1}, "toolu_b"),
        tool_use("Write", {"file_path": "after.txt", "content": "x"}, "toolu_w"),
        tool_use("peek", {"label": "q"}, "toolu_q"),
    ]
    model = script([calls, [text("all done")]])
    handle = await agents.start(SessionConfig(
        model=model, prompt="go", mode="autonomous", workspace=str(workspace),
        permission_mode="acceptEdits", permissions={"ask": ["peek"]},
        tools=["nap", "peek", "Write"]))
    events: list[SessionEvent] = []
    follower = asyncio.create_task(follow(handle, events))
    try:
        # Both requests are asked at once, before anything runs.
        status = await wait_for(handle, lambda s: len(s.pending_permissions) == 2, 30)
        first, second = status.pending_permissions
        assert (first.tool_use_id, second.tool_use_id) == ("toolu_p", "toolu_q")
        # The naps beside the waiting call finish; the Write after its group waits.
        await wait_for(handle, lambda s: sum(
            isinstance(e, ToolEnded) for e in events) >= 2, 30)
        status = await wait_for(handle, state_is("waiting_for_permission"), 30)
        assert status.state.request_id == first.request_id
        ended = [e.tool_use_id for e in events if isinstance(e, ToolEnded)]
        assert sorted(ended) == ["toolu_a", "toolu_b"]
        assert not (workspace / "after.txt").exists()
        await handle.approve(first.request_id)
        await wait_for(handle, lambda s: any(
            isinstance(e, ToolEnded) and e.tool_use_id == "toolu_w" for e in events), 30)
        assert (workspace / "after.txt").exists()  # the Write ran once its group was done
        assert len((await handle.status()).pending_permissions) == 1
        await handle.deny(second.request_id)
        outcome = await asyncio.wait_for(handle.result(), 60)
    finally:
        follower.cancel()
    assert outcome.text == "all done"
    got = results((await handle.transcript()).messages)
    assert [r.tool_use_id for r in got] == ["toolu_a", "toolu_p", "toolu_b", "toolu_w", "toolu_q"]
    assert [r.is_error for r in got] == [False, False, False, False, True]
    assert got[1].content == "peeked p"


async def test_an_interrupt_stops_every_call_of_the_batch(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    calls = [
        tool_use("nap", {"label": "long", "seconds": 60}, "toolu_long"),
        tool_use("peek", {"label": "p"}, "toolu_p"),
        tool_use("Write", {"file_path": "never.txt", "content": "x"}, "toolu_w"),
    ]
    model = script([calls, [text("after the interrupt")]])
    handle = await agents.start(SessionConfig(
        model=model, prompt="go", workspace=str(workspace), permission_mode="acceptEdits",
        permissions={"ask": ["peek"]}, tools=["nap", "peek", "Write"]))
    await wait_for(handle, lambda s: bool(s.pending_permissions), 30)
    await handle.interrupt()
    await wait_for(handle, state_is("idle"), 30)
    got = results((await handle.transcript()).messages)
    assert [r.tool_use_id for r in got] == ["toolu_long", "toolu_p", "toolu_w"]
    assert all(r.is_error for r in got)
    assert "while the tool was running" in got[0].content
    assert "while awaiting approval" in got[1].content
    assert "before this tool ran" in got[2].content
    assert not (workspace / "never.txt").exists()
    assert (await handle.status()).pending_permissions == []
    await handle.end()


async def test_allowing_a_call_for_the_session_answers_the_batchs_requests_it_covers(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    calls = [tool_use("Bash", {"command": "echo one"}, "toolu_1"),
             tool_use("Bash", {"command": "echo one"}, "toolu_2"),
             tool_use("Bash", {"command": "echo two"}, "toolu_3")]
    handle = await agents.start(SessionConfig(
        model=script([calls, [text("ran")]]), prompt="go", mode="autonomous",
        workspace=str(workspace), tools=["Bash"]))
    status = await wait_for(handle, lambda s: len(s.pending_permissions) == 3, 30)
    await handle.approve(status.pending_permissions[0].request_id, scope="session",
                         decided_by="ada")
    # The same command was covered by the new rule; the other one still waits.
    status = await wait_for(handle, lambda s: len(s.pending_permissions) == 1, 30)
    assert status.pending_permissions[0].tool_use_id == "toolu_3"
    await handle.deny(status.pending_permissions[0].request_id)
    await asyncio.wait_for(handle.result(), 60)
    got = results((await handle.transcript()).messages)
    assert [(r.tool_use_id, r.is_error) for r in got] == [
        ("toolu_1", False), ("toolu_2", False), ("toolu_3", True)]
    resolved = [e for e in [item.event async for item in handle.events(0)]
                if isinstance(e, PermissionResolved)]
    assert [(e.decision, e.decided_by) for e in resolved[:2]] == [("allow", "ada"), ("allow", "ada")]
    assert resolved[1].reason == "a rule allowed for this session covers it"

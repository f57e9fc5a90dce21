"""Sessions continue as new when their history grows long, and lose nothing doing so.

These tests run their own dev server, which suggests continue-as-new after 150 history
events (the stock server suggests it at 4 K events, about 170 turns), so that a session
crosses several runs in a few dozen turns.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from datetime import timedelta
from typing import Any

import pytest
from conftest import ScriptWriter, text, tool_use, wait_for
from fake_anthropic import FakeAnthropic
from temporalio.client import Client, WorkflowExecutionStatus

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer, free_port, start_dev_server
from tenure.models.events import (
    Continued,
    MessageAdded,
    PermissionRequested,
    SessionEnded,
    SessionEvent,
)
from tenure.workers import build_worker, connect
from tenure.workflows.session import MAX_REJECTED_SIGNALS

SUGGEST_AFTER_EVENTS = 150


@pytest.fixture(scope="module")
def short_history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    log = tmp_path_factory.mktemp("temporal-can") / "server.log"
    server = start_dev_server(
        port=free_port(), ui_port=None, ephemeral=True, log_file=log,
        dynamic_config=[f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER_EVENTS}"],
    )
    yield server
    server.stop()


@pytest.fixture
async def agents(short_history_server: DevServer) -> AsyncIterator[AgentClient]:
    client = await connect(short_history_server.address)
    queue = f"can-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, task_queue=queue):
        yield AgentClient(client, task_queue=queue)


async def runs_of(client: Client, session_id: str) -> list[WorkflowExecutionStatus | None]:
    return [
        wf.status
        async for wf in client.list_workflows(f"WorkflowId = '{session_id}'")
    ]


async def hand_over(client: Client, handle: SessionHandle) -> None:
    """Signals that change nothing grow the history until the session continues as new
    (on a loaded machine the server batches them into fewer workflow tasks, so how many
    it takes varies)."""
    runs = len(await runs_of(client, handle.id))
    for i in range(SUGGEST_AFTER_EVENTS * 4):
        await handle.workflow.signal("no_such_signal", {"i": i})
        if i % 10 == 9 and len(await runs_of(client, handle.id)) > runs:
            return
    for _ in range(100):
        if len(await runs_of(client, handle.id)) > runs:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the session did not continue as new")


class Follower:
    """A subscriber that reads the session's stream from offset 0 to its end."""

    def __init__(self, handle: SessionHandle) -> None:
        self.offsets: list[int] = []
        self.events: list[SessionEvent] = []
        self.task = asyncio.create_task(self._follow(handle))

    async def _follow(self, handle: SessionHandle) -> None:
        async for item in handle.events(0):
            self.offsets.append(item.offset)
            self.events.append(item.event)

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


async def test_a_long_session_continues_as_new_and_loses_nothing(
    agents: AgentClient, script: ScriptWriter, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("remember the milk\n")
    reads = 12
    turns: list[Any] = [
        [tool_use("TodoWrite", {"todos": [
            {"content": "read notes", "status": "in_progress", "activeForm": "Reading notes"}
        ]})],
        [text("todos set")],
    ]
    for k in range(reads):
        turns += [[tool_use("Read", {"file_path": "notes.txt"})], [text(f"read {k}")]]
    turns += [[tool_use("Bash", {"command": "echo approved > approved.txt"})], [text("bash done")]]
    for k in range(reads):
        turns += [[tool_use("Read", {"file_path": "notes.txt"})], [text(f"again {k}")]]
    handle = await agents.start(
        SessionConfig(
            model=script(turns), workspace=str(workspace), prompt="start",
            tools=["Read", "Bash", "TodoWrite"],
        )
    )
    follower = Follower(handle)
    idle_after = 1

    async def say(message: str) -> None:
        nonlocal idle_after
        await handle.send(message)
        idle_after += 2
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == idle_after, 60)

    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2, 60)
    idle_after = 2
    for k in range(reads):
        await say(f"read {k}")

    # An approval that waits across a boundary: signals that change nothing grow the
    # history until the run hands over, then the approval resolves in the new run.
    await handle.send("run bash")
    status = await wait_for(handle, lambda s: bool(s.pending_permissions), 60)
    request_id = status.pending_permissions[0].request_id
    continued_before = len(follower.of_type(Continued))
    for i in range(SUGGEST_AFTER_EVENTS * 4):  # a loaded server batches them: how many varies
        await handle.workflow.signal("no_such_signal", {"i": i})
        if i % 10 == 9 and len(follower.of_type(Continued)) > continued_before:
            break
    sent = i + 1
    for _ in range(300):
        if len(follower.of_type(Continued)) > continued_before:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the session did not continue as new while waiting")
    status = await handle.status()
    assert [p.request_id for p in status.pending_permissions] == [request_id]
    assert status.state.kind == "waiting_for_permission"
    await handle.approve(request_id)
    idle_after += 2
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == idle_after, 60)
    assert (workspace / "approved.txt").read_text() == "approved\n"

    for k in range(reads):
        await say(f"again {k}")
    await handle.end()
    outcome = await handle.result()
    await asyncio.wait_for(follower.task, 30)

    runs = await runs_of(agents.client, handle.id)
    assert len(runs) >= 3, runs
    assert [s.id for s in await agents.list() if s.id == handle.id] == [handle.id]
    assert runs.count(WorkflowExecutionStatus.CONTINUED_AS_NEW) == len(runs) - 1
    continued = follower.of_type(Continued)
    assert len(continued) == len(runs) - 1
    # Every event once, in order, no gap: offsets keep counting across runs.
    assert follower.offsets == list(range(len(follower.offsets)))
    assert isinstance(follower.events[-1], SessionEnded)
    assert len(follower.of_type(PermissionRequested)) == 1

    assert outcome.stop_reason == "ended"
    assert outcome.turns == idle_after == 2 + 2 * reads + 2 + 2 * reads
    assert outcome.usage.input_tokens == 10 * outcome.turns
    status = await handle.status()
    assert [t.content for t in status.todos] == ["read notes"]
    assert status.turn == outcome.turns
    assert len(status.rejected_signals) == min(sent, MAX_REJECTED_SIGNALS)  # kept across runs
    transcript = await handle.transcript()
    texts = [m.text for m in transcript.messages if m.role == "assistant" and m.text]
    assert texts == ["todos set", *[f"read {k}" for k in range(reads)], "bash done",
                     *[f"again {k}" for k in range(reads)]]
    assert transcript.total == len(transcript.messages) == 2 * outcome.turns


async def test_an_autonomous_run_hands_over_between_model_calls(
    agents: AgentClient, script: ScriptWriter, tmp_path: Path
) -> None:
    """One user message answered by 40 model calls crosses runs in the middle of its
    answer; `max_turns` still counts every call of it."""
    (tmp_path / "notes.txt").write_text("x\n")
    calls = 40
    turns: list[Any] = [[tool_use("Read", {"file_path": "notes.txt"})] for _ in range(calls)]
    turns.append([text("all read")])
    handle = await agents.start(SessionConfig(
        model=script(turns), workspace=str(tmp_path), prompt="read", mode="autonomous",
        max_turns=calls + 1,
    ))
    outcome = await handle.result()
    assert (outcome.stop_reason, outcome.text, outcome.turns) == ("end_turn", "all read", calls + 1)
    assert len(await runs_of(agents.client, handle.id)) >= 3

    short = await agents.start(SessionConfig(
        model=script(turns), workspace=str(tmp_path), prompt="read", mode="autonomous",
        max_turns=calls - 5,
    ))
    outcome = await short.result()
    assert (outcome.stop_reason, outcome.turns) == ("max_turns", calls - 5)
    assert len(await runs_of(agents.client, short.id)) >= 3


async def test_a_question_waits_across_runs_and_the_prefix_stays_the_same(
    agents: AgentClient, fake: FakeAnthropic, tmp_path: Path
) -> None:
    """A Claude session on the fake Messages API: a question the agent asked resolves in a
    later run, and every request, before and after each handover, starts with the same
    system prompt and tools, byte for byte (so the prompt cache keeps hitting)."""
    (tmp_path / "notes.txt").write_text("x\n")
    read = {"type": "tool_use", "name": "Read", "input": {"file_path": "notes.txt"}}
    ask = {"type": "tool_use", "name": "AskUserQuestion", "input": {"questions": [{
        "question": "Which colour?", "header": "Colour", "multiSelect": False,
        "options": [{"label": "red", "description": "warm"},
                    {"label": "blue", "description": "cool"}]}]}}
    reads = 14
    fake.add(*(FakeAnthropic.stream([read]) for _ in range(reads)),
             FakeAnthropic.stream([ask]), FakeAnthropic.stream(["Blue it is."]))
    handle = await agents.start(SessionConfig(
        model="claude-test", workspace=str(tmp_path), prompt="paint", mode="autonomous",
        system_prompt="Be brief.", tools=["Read", "AskUserQuestion"], max_turns=reads + 2,
    ))
    status = await wait_for(handle, lambda s: bool(s.pending_questions), 60)
    request_id = status.pending_questions[0].request_id
    assert len(await runs_of(agents.client, handle.id)) >= 2  # the reads alone cross one
    await hand_over(agents.client, handle)  # while asking
    status = await handle.status()
    assert [q.request_id for q in status.pending_questions] == [request_id]
    await handle.answer(request_id, {"Which colour?": "blue"})
    outcome = await handle.result()
    assert (outcome.stop_reason, outcome.text) == ("end_turn", "Blue it is.")

    bodies = [r.body for r in fake.requests]
    assert len(bodies) == reads + 2
    for body in bodies[1:]:
        assert json.dumps(body["system"]) == json.dumps(bodies[0]["system"])
        assert json.dumps(body["tools"]) == json.dumps(bodies[0]["tools"])
    answered = bodies[-1]["messages"][-1]["content"]
    assert any(b["type"] == "tool_result" and "blue" in json.dumps(b) for b in answered)


async def test_followers_polling_at_every_handover_see_each_event_once(
    agents: AgentClient, script: ScriptWriter, tmp_path: Path
) -> None:
    """Followers that poll without pause, while signals push the session through several
    handovers: a poll that meets a run at the very moment it closes resumes in the next
    run, so each follower sees every event once, in order."""
    handle = await agents.start(SessionConfig(
        model=script([[text("ready")]]), workspace=str(tmp_path), prompt="wait",
    ))
    await wait_for(handle, lambda s: s.state.kind == "idle", 60)

    async def follow(offsets: list[int]) -> None:
        async for item in handle.events(0, poll_cooldown=timedelta(0)):
            offsets.append(item.offset)

    followers = [[] for _ in range(3)]  # type: list[list[int]]
    tasks = [asyncio.create_task(follow(offsets)) for offsets in followers]
    handovers = 4
    for i in range(SUGGEST_AFTER_EVENTS * handovers):
        await handle.workflow.signal("no_such_signal", {"i": i})
        if i % 50 == 49 and len(await runs_of(agents.client, handle.id)) > handovers:
            break
    assert len(await runs_of(agents.client, handle.id)) > handovers
    await handle.end()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    end = await handle.stream_offset()
    for offsets in followers:
        assert offsets == list(range(end))


async def test_a_late_reader_gets_the_message_events_a_live_follower_got(
    agents: AgentClient, script: ScriptWriter, tmp_path: Path
) -> None:
    """A handover carries the stream tail's message events as references to the carried
    messages. Rebuilt in the new run, they are the very events a live follower read:
    also a steering text merged into a tool result's message, and a message that a
    compaction took out of the context (carried whole)."""
    (tmp_path / "big.txt").write_text(("x" * 40 + "\n") * 1_000)
    handle = await agents.start(SessionConfig(
        model=script([
            [tool_use("Bash", {"command": "while [ ! -f go ]; do sleep 0.05; done; echo went"})],
            [text("steered")],
            [tool_use("Read", {"file_path": "big.txt"})],
            [text("read it")],
            [text("after compaction")],
            [text("last")],
        ]),
        workspace=str(tmp_path), prompt="start", tools=["Bash", "Read"],
        permission_mode="bypassPermissions",
    ))
    live: dict[int, SessionEvent] = {}

    async def follow() -> None:
        async for item in handle.events(0):
            live[item.offset] = item.event

    follower = asyncio.create_task(follow())

    await wait_for(handle, lambda s: s.state.kind == "executing_tool", 60)
    await handle.send("and also this")
    (tmp_path / "go").write_text("")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2, 60)
    await hand_over(agents.client, handle)
    await handle.send("read the big file")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4, 60)
    await handle.compact()
    await handle.send("go on")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 5, 60)
    await hand_over(agents.client, handle)
    await handle.send("finish")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 6, 60)
    await hand_over(agents.client, handle)
    await handle.end()
    await handle.result()
    await asyncio.wait_for(follower, 30)

    late = {item.offset: item.event async for item in handle.events(0)}
    assert late == live
    messages = [e for e in late.values() if isinstance(e, MessageAdded)]
    steered = [e for e in messages if e.index == 2]
    assert [(e.kind, [b.type for b in e.content]) for e in steered] == [
        ("tool_result", ["tool_result"]), ("user", ["text"])
    ]
    assert any(e.kind == "tool_result" and len(e.model_dump_json()) > 20_000 for e in messages)
    assert len(await runs_of(agents.client, handle.id)) >= 4

    # What the last run was handed: large message events still in the context by
    # reference, those compaction took out of it (and small ones) whole.
    started = (await handle.workflow.fetch_history()).events[0]
    payloads = started.workflow_execution_started_event_attributes.input.payloads
    carry = (await agents.client.data_converter.decode(payloads))[1]
    base, log, refs = carry["stream"]["base_offset"], carry["stream"]["log"], carry["stream_messages"]
    assert carry["summarized"] and carry["first_index"] > 0
    by_reference = []
    for offset, event in late.items():
        if isinstance(event, MessageAdded) and offset - base < len(log):
            carried_whole = bool(log[offset - base]["data"])
            assert carried_whole != (str(offset) in refs)
            if event.index < carry["first_index"]:
                assert carried_whole, event
            if not carried_whole:
                by_reference.append(event)
    assert [e.kind for e in by_reference] == ["tool_result"]  # the Read of big.txt


async def test_a_parallel_batch_waiting_for_people_waits_across_runs(
    short_history_server: DevServer, script: ScriptWriter, tmp_path: Path
) -> None:
    """Two calls of one reply wait for approval while the reads beside them are done; the
    session hands over meanwhile, and the new run waits for the same two requests, then
    runs what is left, once, with every result in the reply's order."""
    from test_parallel_tools import nap, peek  # the tools of the parallel-call tests

    client = await connect(short_history_server.address)
    queue = f"can-parallel-{uuid.uuid4().hex[:8]}"
    calls = [
        tool_use("nap", {"label": "a", "seconds": 0.1}, "toolu_a"),
        tool_use("peek", {"label": "p"}, "toolu_p"),
        tool_use("nap", {"label": "b", "seconds": 0.1}, "toolu_b"),
        tool_use("Bash", {"command": "echo ran >> ran.txt"}, "toolu_bash"),
    ]
    async with build_worker(client, task_queue=queue, tools=[nap, peek]):
        handle = await AgentClient(client, task_queue=queue).start(SessionConfig(
            model=script([calls, [text("all done")]]), workspace=str(tmp_path), prompt="go",
            mode="autonomous", permissions={"ask": ["peek"]}, tools=["nap", "peek", "Bash"]))
        status = await wait_for(handle, lambda s: len(s.pending_permissions) == 2, 30)
        asked = [p.request_id for p in status.pending_permissions]
        runs = len(await runs_of(client, handle.id))
        await hand_over(client, handle)
        assert len(await runs_of(client, handle.id)) > runs
        status = await handle.status()
        assert [p.request_id for p in status.pending_permissions] == asked
        assert status.state.kind == "waiting_for_permission"
        for request_id in asked:
            await handle.approve(request_id)
        outcome = await asyncio.wait_for(handle.result(), 60)
        got = [b for m in (await handle.transcript()).messages for b in m.content
               if b.type == "tool_result"]
    assert outcome.text == "all done"
    assert [(b.tool_use_id, b.is_error) for b in got] == [
        ("toolu_a", False), ("toolu_p", False), ("toolu_b", False), ("toolu_bash", False)]
    assert (tmp_path / "ran.txt").read_text() == "ran\n"

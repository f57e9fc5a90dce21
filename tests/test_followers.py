"""Model output is streamed only while someone follows the session: with nobody polling
the event stream, a model call costs no publish signal (and no workflow task)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from conftest import ScriptWriter, StartSession, text, tool_use, wait_for
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.workflow_streams import WorkflowStream
from temporalio.worker import Worker

from tenure.client.stream import follow_stream
from tenure.models.events import EVENTS_TOPIC, WAIT_FOR_EVENTS, MessageAdded, TextDelta
from tenure.workflows.session import FOLLOWER_GAP


async def test_no_deltas_without_a_follower_and_deltas_with_one(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[text("nobody is watching")], [text("now someone is")]])
    session = await start_session(model, mode="interactive")
    await asyncio.sleep(FOLLOWER_GAP.total_seconds() + 0.5)  # a new session counts as followed
    await session.send("hi")
    while (await session.status()).turn < 1 or (await session.status()).state.kind != "idle":
        await asyncio.sleep(0.05)
    publishes = [
        e async for e in session.workflow.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and e.workflow_execution_signaled_event_attributes.signal_name
        == "__temporal_workflow_stream_publish"
    ]
    assert publishes == []  # no publish: the text reached the stream as a message event only

    seen = []
    async for item in session.events():
        seen.append(item.event)
        if isinstance(item.event, MessageAdded) and item.event.kind == "assistant":
            if item.event.index == 1:
                await session.send("again")  # sent while this subscriber follows
            else:
                break
    deltas = [e for e in seen if isinstance(e, TextDelta)]
    assert [d.turn for d in deltas] and all(d.turn == 2 for d in deltas)
    assert "".join(d.text for d in deltas) == "now someone is"
    await session.end()


async def test_a_new_session_streams_its_first_reply_for_its_starter_and_no_more_unfollowed(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """Whoever started a session is about to subscribe: its first model call streams
    before anyone polls. Nobody did by its end, so the calls after it stream nothing."""
    model = script([[text("first, "), tool_use("Glob", {"pattern": "*"})], [text("second")],
                    [text("third")]])
    session = await start_session(model, mode="interactive", prompt="look")
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 2)
    await session.send("more")
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 3)
    publishes = [
        e async for e in session.workflow.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and e.workflow_execution_signaled_event_attributes.signal_name
        == "__temporal_workflow_stream_publish"
    ]
    assert publishes  # the first call, within FOLLOWER_GAP of the start
    seen = []
    async for item in session.events():
        seen.append(item.event)
        if isinstance(item.event, MessageAdded) and item.event.kind == "assistant" \
                and item.event.content[0].type == "text" and item.event.content[0].text == "third":
            break
    deltas = [e for e in seen if isinstance(e, TextDelta)]
    assert {d.turn for d in deltas} == {1} and "".join(d.text for d in deltas) == "first, "
    await session.end()


async def test_a_follower_writes_no_event_into_the_history(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """The follower's long poll (`wait_for_events`) returns only an offset, and the events
    are read by query: the history holds none of them a second time."""
    model = script([[tool_use("Glob", {"pattern": "*"})], [text("looked " + "x" * 2_000)]])
    session = await start_session(model, mode="interactive", prompt="look")
    offsets = []
    async for item in session.events():
        offsets.append(item.offset)
        if isinstance(item.event, MessageAdded) and item.event.kind == "assistant" \
                and item.event.content[0].type == "text":
            await session.end()  # the answer, after the Glob
    assert offsets == list(range(len(offsets))) and len(offsets) > 15
    waits, updates = 0, []
    async for e in session.workflow.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            updates.append(e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            result = e.workflow_execution_update_completed_event_attributes.outcome.success
            assert [json.loads(p.data) for p in result.payloads] == [ANY_INT]
            waits += 1
    assert waits and set(updates) == {WAIT_FOR_EVENTS}


class _AnyInt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int)


ANY_INT = _AnyInt()


@workflow.defn(name="StreamOnly", sandboxed=False)
class StreamOnly:
    """A workflow with a stream and no `wait_for_events`, as a worker of an older tenure
    runs sessions."""

    @workflow.init
    def __init__(self, count: int) -> None:
        self.stream = WorkflowStream()

    @workflow.run
    async def run(self, count: int) -> None:
        for i in range(count):
            self.stream.topic(EVENTS_TOPIC).publish({"i": i})
            if i == count // 2:
                await workflow.sleep(1)  # the rest while the follower waits
        self.stream.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)


async def test_a_session_without_wait_for_events_is_followed_the_old_way(
    temporal_client: Client,
) -> None:
    queue = f"old-{uuid.uuid4().hex[:6]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[StreamOnly]):
        handle = await temporal_client.start_workflow(
            StreamOnly.run, 20, id=f"old-{uuid.uuid4().hex[:6]}", task_queue=queue
        )
        seen = [(offset, data) async for offset, data in follow_stream(
            temporal_client, handle.id, [EVENTS_TOPIC], 0, timedelta(milliseconds=20)
        )]
    assert seen == [(i, {"i": i}) for i in range(20)]


@workflow.defn(name="LostPolls", sandboxed=False)
class LostPolls:
    """A stream whose `wait_for_events` never answers while the run lasts, as a long poll
    that meets a handover can be left."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()
        self.finished = False

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(1)
        self.stream.topic(EVENTS_TOPIC).publish({"i": 0})
        await workflow.wait_condition(lambda: self.finished)
        self.stream.topic(EVENTS_TOPIC).publish({"i": 1})
        self.stream.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.update(name=WAIT_FOR_EVENTS)
    async def wait_for_events(self, offset: int) -> int:
        await workflow.wait_condition(lambda: self.finished)
        return offset

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


async def test_a_long_poll_left_unanswered_does_not_stall_the_follower(
    temporal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While its long poll waits, the follower asks the stream's offset now and then, and
    reads the events that came meanwhile."""
    monkeypatch.setattr("tenure.client.stream.CHECK_EVERY", timedelta(milliseconds=300))
    queue = f"lost-{uuid.uuid4().hex[:6]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[LostPolls]):
        handle = await temporal_client.start_workflow(
            LostPolls.run, id=f"lost-{uuid.uuid4().hex[:6]}", task_queue=queue
        )
        seen = []
        async for offset, data in follow_stream(
            temporal_client, handle.id, [EVENTS_TOPIC], 0, timedelta(milliseconds=20)
        ):
            seen.append((offset, data))
            if offset == 0:  # read while the long poll still waits
                await handle.signal(LostPolls.finish)
    assert seen == [(0, {"i": 0}), (1, {"i": 1})]

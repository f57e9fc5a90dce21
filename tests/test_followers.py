"""Model output is streamed only while someone follows the session: with nobody polling
the event stream, a model call costs no publish signal (and no workflow task)."""

from __future__ import annotations

import asyncio

from conftest import ScriptWriter, StartSession, text
from temporalio.api.enums.v1 import EventType

from tenure.models.events import MessageAdded, TextDelta
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

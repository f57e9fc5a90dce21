"""A new session writes its model and title with its first state, in one upsert, under
one patch marker that stands for all of the start's gated changes; and it goes from one
turn to the next without passing through `idle` when a message already waits."""

from __future__ import annotations

import json
from collections.abc import Mapping

from conftest import ScriptWriter, StartSession, text, wait_for
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent

from tenure.models.events import StateChanged
from tenure.workflows.session import BUSY_WHILE_MESSAGES_WAIT


def upserted(events: list[HistoryEvent]) -> list[Mapping[str, Payload]]:
    """The search attributes of each upsert, in the order the session wrote them."""
    return [e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            for e in events if e.HasField("upsert_workflow_search_attributes_event_attributes")]


def upserts(events: list[HistoryEvent]) -> list[set[str]]:
    return [set(fields) for fields in upserted(events)]


def indexed_states(events: list[HistoryEvent]) -> list[str]:
    """The values of TenureState, in the order the session wrote them."""
    return [json.loads(f["TenureState"].data) for f in upserted(events) if "TenureState" in f]


def patches(events: list[HistoryEvent]) -> list[str]:
    return [json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
            for e in events if e.marker_recorded_event_attributes.marker_name == "core_patch"]


async def test_the_model_and_title_go_with_the_first_state(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[text("hi")]])
    handle = await start_session(model, prompt="go", title="Nightly", mode="autonomous")
    await handle.result()
    events = [e async for e in handle.workflow.fetch_history_events()]
    assert patches(events) == [BUSY_WHILE_MESSAGES_WAIT]
    written = upserts(events)
    assert written[0] == {"TemporalChangeVersion"}  # the SDK's, for the marker
    assert {"TenureModel", "TenureTitle", "TenureState", "TenureTurns"} <= written[1]
    assert all("TenureModel" not in u for u in written[2:])
    # Started with its prompt, the session was never idle: processing, then done.
    assert indexed_states(events) == ["processing", "done"]
    description = await handle.workflow.describe()
    attributes = {k.name: v for k, v in description.typed_search_attributes}
    assert attributes["TenureModel"] == model
    assert attributes["TenureTitle"] == "Nightly"
    assert attributes["TenureState"] == "done"


async def test_a_session_goes_idle_only_when_no_message_waits(
    script: ScriptWriter, start_session: StartSession
) -> None:
    handle = await start_session(
        script([{"content": [text("first")], "delay_ms": 1500}, "second"]), prompt="go"
    )
    await wait_for(handle, lambda s: s.state.kind == "processing" and s.turn == 1)
    await handle.send("and then this")  # during the first turn's model call
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    events = [e async for e in handle.workflow.fetch_history_events()]
    assert indexed_states(events) == ["processing", "idle"]
    await handle.end()
    stream = [item.event async for item in handle.events(deltas=False)]
    states = [e.state.kind for e in stream if isinstance(e, StateChanged)]
    assert states == ["processing", "idle", "done"]
    assert [m.text for m in (await handle.transcript()).messages] == [
        "go", "first", "and then this", "second"]

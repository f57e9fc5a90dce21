"""A new session writes its model and title with its first state, in one upsert, under
one patch marker that stands for all of the start's gated changes."""

from __future__ import annotations

import json

from conftest import ScriptWriter, StartSession, text
from temporalio.api.history.v1 import HistoryEvent

from tenure.workflows.session import INDEX_AT_START


def upserts(events: list[HistoryEvent]) -> list[set[str]]:
    return [set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
            for e in events if e.HasField("upsert_workflow_search_attributes_event_attributes")]


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
    assert patches(events) == [INDEX_AT_START]
    written = upserts(events)
    assert written[0] == {"TemporalChangeVersion"}  # the SDK's, for the marker
    assert {"TenureModel", "TenureTitle", "TenureState", "TenureTurns"} <= written[1]
    assert all("TenureModel" not in u for u in written[2:])
    description = await handle.workflow.describe()
    attributes = {k.name: v for k, v in description.typed_search_attributes}
    assert attributes["TenureModel"] == model
    assert attributes["TenureTitle"] == "Nightly"
    assert attributes["TenureState"] == "done"

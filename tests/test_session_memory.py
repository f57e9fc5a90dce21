"""What an idle session keeps in its worker's memory: a worker holds every session it
runs, so what each one keeps counts a thousand times (benchmarks/light.py measures it).
These tests count objects, not bytes or milliseconds."""

from __future__ import annotations

import gc
import uuid

from conftest import ScriptWriter, StartSession, text, wait_for

from tenure.models import SessionConfig, SessionSetup, WorkerPolicy
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.contrib.workflow_streams import WorkflowStreamItem

from tenure.models.io import ToolInfo
from tenure.workflows.shared import kept, lean
from tenure.workflows.stream_store import StoredItem


def alive(kind: type) -> list[object]:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is kind]


async def test_idle_sessions_share_their_workers_tool_list_and_policy(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[text("hi")]] * 6)
    before = {kind: len(alive(kind)) for kind in (ToolInfo, WorkerPolicy)}
    converters = len([o for o in gc.get_objects() if isinstance(o, PydanticPayloadConverter)])
    sessions = [await start_session(model, prompt="hello") for _ in range(6)]
    for session in sessions:
        await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 1)
    tools = len(SessionConfig(model=model).tools)
    # Each session decoded its own tool list and policy from its setup; it holds the
    # worker's copy (other tests' workers may hold other policies and tools).
    assert len(alive(ToolInfo)) - before[ToolInfo] <= tools
    assert len(alive(WorkerPolicy)) - before[WorkerPolicy] < 2
    # and one payload converter (with its cache of TypeAdapters), not one per session
    assert len([o for o in gc.get_objects() if isinstance(o, PydanticPayloadConverter)]) < (
        converters + 2
    )
    for session in sessions:
        await session.end()


async def test_a_sessions_stream_keeps_its_events_as_bytes(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """A protobuf Payload per event cost 1.6 KB of memory however small the event."""
    model = script([[text("hi")]])
    session = await start_session(model, prompt="hello")
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 1)
    assert alive(WorkflowStreamItem) == []
    assert len(alive(StoredItem)) >= 8
    await session.end()
    events = [item.event.type async for item in session.events(0)]  # read back as sent
    assert events[:2] == ["session_start", "message"] and "state_change" in events
    assert events[-1] == "session_end"


async def test_a_session_does_not_keep_its_input_twice(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """The SDK keeps the workflow's decoded arguments for the whole run; once the session
    has validated them, they are emptied."""
    model = script([[text("hi")]])
    session = await start_session(model, prompt="hello", max_turns=7)
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 1)
    gc.collect()
    raw = [  # the JSON, not the validated config's own __dict__ (which holds models)
        o for o in gc.get_objects()
        if isinstance(o, dict) and o.get("model") == model and isinstance(o.get("permissions"), dict)
    ]
    assert raw == []
    assert (await session.status()).turn == 1  # and the session runs on what it validated
    await session.end()


def test_kept_values_are_one_copy_per_equal_value() -> None:
    name = f"Probe{uuid.uuid4().hex}"  # a tool no session of this process has kept
    first, second = ToolInfo(name=name, kind="read"), ToolInfo(name=name, kind="read")
    assert kept(first) is first and kept(second) is first
    assert kept(ToolInfo(name=name, kind="read", concurrent=True)) is not first
    assert kept(WorkerPolicy(deny=["Bash"])) is not kept(WorkerPolicy())


def test_lean_keeps_every_value_and_marks_only_what_differs_from_the_defaults() -> None:
    given = SessionConfig.model_validate(
        SessionConfig(model="scripted:x", max_turns=7, workspace="/w").model_dump()
    )
    assert len(given.model_fields_set) > 10  # every field was spelled out
    slim = lean(given)
    assert slim == given
    assert slim.model_fields_set == {"model", "max_turns", "workspace"}
    setup = SessionSetup(workspace="/w", additional_directories=[], tools=[])
    assert lean(setup) == setup

"""The session's workflow stream: event order and content, resuming from an offset,
coalesced model output, and no duplicated text after a retried model call."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from fake_anthropic import FakeAnthropic

from tenure import LiveOutput, SessionHandle, StreamedEvent
from tenure.models.events import (
    ErrorReported,
    FilePresented,
    MessageAdded,
    ModelRetry,
    PermissionRequested,
    PermissionResolved,
    QuestionAnswered,
    QuestionAsked,
    SessionEnded,
    SessionStarted,
    StateChanged,
    TextDelta,
    ToolEnded,
    ToolStarted,
    TurnEnded,
    UsageReported,
)


def collect(handle: SessionHandle, from_offset: int = 0, deltas: bool = True
            ) -> asyncio.Task[list[StreamedEvent]]:
    async def read() -> list[StreamedEvent]:
        return [item async for item in handle.events(from_offset, deltas=deltas)]

    return asyncio.create_task(asyncio.wait_for(read(), 60))


def story(items: list[StreamedEvent]) -> list[str]:
    """Each event as a short word: its type, with the state or message kind."""
    words = []
    for item in items:
        event = item.event
        if isinstance(event, StateChanged):
            words.append(f"state:{event.state.kind}")
        elif isinstance(event, MessageAdded):
            words.append(f"message:{event.kind}")
        elif isinstance(event, TurnEnded):
            words.append(f"turn_end:{event.stop_reason}")
        else:
            words.append(event.type)
    return words


async def test_events_tell_a_session_in_order(start_session: StartSession,
                                              script: ScriptWriter) -> None:
    handle = await start_session(
        script([[text("Listing."), tool_use("Bash", {"command": "echo hi"}, "toolu_1")],
                "All done."]),
        prompt="list it",
    )
    events = collect(handle, deltas=False)
    status = await wait_for(handle, state_is("waiting_for_permission"))
    await handle.approve(status.pending_permissions[0].request_id, decided_by="ana")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    await handle.end()
    items = await events

    assert story(items) == [
        "session_start", "message:user",
        "turn_start", "state:processing", "message:assistant", "usage",
        "tool_start", "permission_request", "state:waiting_for_permission",
        "permission_resolved", "state:executing_tool", "tool_end", "message:tool_result",
        "turn_end:tool_use",
        "turn_start", "state:processing", "message:assistant", "usage", "turn_end:end_turn",
        "state:idle", "state:done", "session_end",
    ]
    assert [i.offset for i in items] == sorted(i.offset for i in items)
    by_type = {type(i.event): i.event for i in items}
    started = by_type[SessionStarted]
    assert isinstance(started, SessionStarted) and started.title == "list it"
    request = by_type[PermissionRequested]
    assert isinstance(request, PermissionRequested)
    assert (request.tool_name, request.tool_use_id, request.input) == (
        "Bash", "toolu_1", {"command": "echo hi"})
    resolved = by_type[PermissionResolved]
    assert isinstance(resolved, PermissionResolved)
    assert (resolved.request_id, resolved.decision, resolved.decided_by) == (
        request.request_id, "allow", "ana")
    tool_start, tool_end = by_type[ToolStarted], by_type[ToolEnded]
    assert isinstance(tool_start, ToolStarted) and tool_start.summary == "Bash · echo hi"
    assert isinstance(tool_end, ToolEnded) and not tool_end.is_error
    assert "hi" in tool_end.preview
    usage = by_type[UsageReported]
    assert isinstance(usage, UsageReported) and usage.total.output_tokens == 20
    end = items[-1].event
    assert isinstance(end, SessionEnded)
    assert (end.outcome.text, end.outcome.turns) == ("All done.", 2)
    messages = [i.event for i in items if isinstance(i.event, MessageAdded)]
    transcript = await handle.transcript()
    assert [m.index for m in messages] == [0, 1, 2, 3]
    assert [m.content for m in messages] == [m.content for m in transcript.messages]


async def test_events_resume_from_an_offset(start_session: StartSession,
                                            script: ScriptWriter) -> None:
    handle = await start_session(
        script([[tool_use("Bash", {"command": "echo one"})], "Finished."]), prompt="go"
    )
    seen: list[StreamedEvent] = []
    async for item in handle.events():
        seen.append(item)
        if isinstance(item.event, PermissionRequested):
            break  # the subscriber disconnects here
    await handle.approve(item.event.request_id)
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    await handle.end()
    rest = await collect(handle, from_offset=seen[-1].next_offset)

    everything = await collect(handle)
    assert seen + rest == everything
    assert [i.offset for i in everything] == list(range(len(everything)))
    assert isinstance(rest[-1].event, SessionEnded)


async def test_person_facing_tools_publish_their_events(
    start_session: StartSession, script: ScriptWriter, workspace: Path
) -> None:
    (workspace / "report.md").write_text("# Report\n")
    question = {"question": "Which format?", "header": "Format", "multiSelect": False,
                "options": [{"label": "PDF", "description": "print"},
                            {"label": "HTML", "description": "web"}]}
    handle = await start_session(
        script([[tool_use("AskUserQuestion", {"questions": [question]})],
                [tool_use("PresentFile", {"file_path": "report.md", "description": "the report"})],
                "Here it is."]),
        prompt="make a report", tools=["AskUserQuestion", "PresentFile"],
    )
    events = collect(handle, deltas=False)
    status = await wait_for(handle, state_is("waiting_for_user_input"))
    request_id = status.pending_questions[0].request_id
    await handle.answer(request_id, {"Which format?": "HTML"})
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 3)
    await handle.workflow.signal("no_such_signal")
    await handle.end()
    items = [i.event for i in await events]

    asked = next(e for e in items if isinstance(e, QuestionAsked))
    assert asked.request_id == request_id
    assert asked.questions[0].question == "Which format?"
    answered = next(e for e in items if isinstance(e, QuestionAnswered))
    assert (answered.request_id, answered.answers) == (request_id, {"Which format?": "HTML"})
    presented = next(e for e in items if isinstance(e, FilePresented))
    assert presented.file.file_path == str(workspace / "report.md")
    assert presented.file.description == "the report"
    rejected = next(e for e in items if isinstance(e, ErrorReported))
    assert rejected.source == "signal" and "no_such_signal" in rejected.message


async def test_model_output_streams_in_coalesced_pieces(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    answer = "The quick brown fox jumps over the lazy dog. " * 14  # 630 characters
    fake.add(FakeAnthropic.stream([answer], chunk_chars=4, chunk_delay_s=0.002))
    handle = await start_session("claude-sonnet-4-5", prompt="write", mode="autonomous")
    items = await collect(handle)

    deltas = [i.event for i in items if isinstance(i.event, TextDelta)]
    assert "".join(d.text for d in deltas) == answer
    chunks = len(answer) // 4
    assert 2 <= len(deltas) <= chunks // 4, f"{len(deltas)} pieces for {chunks} chunks"
    assert all((d.turn, d.attempt) == (1, 1) for d in deltas)
    message_at = next(i for i, item in enumerate(items)
                      if isinstance(item.event, MessageAdded) and item.event.kind == "assistant")
    assert all(isinstance(item.event, TextDelta) is False for item in items[message_at:])


async def test_a_retried_model_call_leaves_no_duplicate_text(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    fake.add(
        FakeAnthropic.stream_error_midway(["Let me think about th"], chunk_chars=4),
        FakeAnthropic.stream(["Let me think about this carefully."], chunk_chars=4),
    )
    handle = await start_session("claude-sonnet-4-5", prompt="think", mode="autonomous")
    items = [i.event for i in await collect(handle)]

    retry = next(e for e in items if isinstance(e, ModelRetry))
    assert (retry.turn, retry.attempt) == (1, 2)
    before = items[: items.index(retry)]
    after = items[items.index(retry):]
    stale = "".join(e.text for e in before if isinstance(e, TextDelta))
    assert stale and "Let me think about this carefully.".startswith(stale)
    assert all(e.attempt == 1 for e in before if isinstance(e, TextDelta))
    assert all(e.attempt == 2 for e in after if isinstance(e, TextDelta))
    # A subscriber that keeps every delta shows the stale text twice ...
    naive = "".join(e.text for e in items if isinstance(e, TextDelta))
    assert naive == stale + "Let me think about this carefully."
    # ... one that follows the retry marker shows it once.
    live = LiveOutput()
    for event in items:
        if isinstance(event, MessageAdded) and event.kind == "assistant":
            assert live.text == "Let me think about this carefully."
        live.apply(event)
    assert live.text == ""

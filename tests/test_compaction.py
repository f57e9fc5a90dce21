"""Compaction against the fake Messages API: what the model is sent before and after."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from conftest import StartSession, wait_for
from fake_anthropic import FakeAnthropic
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.hooks import Hook
from tenure.models import HookInput, HookResult
from tenure.workers import build_worker
from tenure.models.compaction import SUMMARY_HEADING
from tenure.models.events import Compacted, SessionEvent

NOTES = "a line of notes that takes room in the context\n" * 40


def texts(message: dict[str, Any]) -> list[str]:
    """The message's texts, but the environment that the worker adds to every call."""
    content = message["content"]
    if isinstance(content, str):
        return [content]
    found = [b.get("text") or str(b.get("content", "")) for b in content]
    return [t for t in found if not t.startswith("<system-reminder>\nEnvironment:")]


async def idle_after(handle: SessionHandle, turn: int) -> None:
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == turn)


async def all_events(handle: SessionHandle) -> list[SessionEvent]:
    return [item.event async for item in handle.events(0, deltas=False)]


async def test_automatic_compaction_summarizes_and_keeps_the_prefix(
    fake: FakeAnthropic, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(NOTES)
    read = {"type": "tool_use", "name": "Read", "input": {"file_path": "notes.txt"}}
    fake.add(
        FakeAnthropic.stream([read], usage={"input_tokens": 300}),
        FakeAnthropic.stream(["first answer"], usage={"input_tokens": 500}),
        FakeAnthropic.stream([read], usage={"input_tokens": 600}),
        # 100 + 150 + 600 = 850 tokens of a 1,000-token window: past 0.8.
        FakeAnthropic.stream(["second answer"], usage={
            "input_tokens": 100, "cache_read_input_tokens": 600,
            "cache_creation_input_tokens": 150}),
        FakeAnthropic.stream(["SUMMARY: the user asked about notes.txt twice"],
                             usage={"input_tokens": 900}),
        FakeAnthropic.stream(["third answer"], usage={"input_tokens": 200}),
    )
    handle = await start_session(
        "claude-test", prompt="what is in notes.txt?", system_prompt="Be brief.",
        compaction={"context_window": 1000},
    )
    await idle_after(handle, 2)
    await handle.send("and again?")
    await idle_after(handle, 4)
    assert len(fake.requests) == 4  # nothing compacts until a model call is due
    await handle.send("third question")
    await idle_after(handle, 5)
    await handle.end()
    await handle.result()

    bodies = [r.body for r in fake.requests]
    assert len(bodies) == 6
    summary_call, after = bodies[4], bodies[5]
    # The summary request: the whole conversation, then the request as the last user
    # message (compaction comes before the waiting message is taken in).
    assert texts(summary_call["messages"][-1])[-1].startswith("The conversation so far is about")
    assert texts(summary_call["messages"][-2]) == ["second answer"]
    assert len(summary_call["messages"]) == 9
    # After: the summary, then the last model reply and what followed it, verbatim.
    first = texts(after["messages"][0])[0]
    assert first.startswith(SUMMARY_HEADING)
    assert "SUMMARY: the user asked about notes.txt twice" in first
    assert [m["role"] for m in after["messages"]] == ["user", "assistant", "user"]
    assert texts(after["messages"][1]) == ["second answer"]
    assert texts(after["messages"][2]) == ["third question"]
    every_text = " ".join(t for m in after["messages"] for t in texts(m))
    assert "first answer" not in every_text and NOTES.strip() not in every_text
    # The cached prefix is byte for byte the same before, during and after.
    for body in bodies[1:]:
        assert body["system"] == bodies[0]["system"]
        assert body["tools"] == bodies[0]["tools"]

    compactions = [e for e in await all_events(handle) if isinstance(e, Compacted)]
    assert len(compactions) == 1
    assert compactions[0].before_tokens == 850
    assert compactions[0].replaced_messages == 7
    assert 0 < compactions[0].after_tokens < 850
    # The model's context is what the transcript query shows.
    transcript = (await handle.transcript()).messages
    assert transcript[0].text.startswith(SUMMARY_HEADING)
    assert [m.text for m in transcript[1:]] == ["second answer", "third question", "third answer"]


async def test_compact_on_demand_with_instructions(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    fake.add(
        FakeAnthropic.stream(["hello"]),
        FakeAnthropic.stream(["SUMMARY: greeted"]),
        FakeAnthropic.stream(["still here"]),
    )
    handle = await start_session("claude-test", prompt="hi")
    await idle_after(handle, 1)
    await handle.compact("keep the file names")
    await wait_for(handle, lambda s: s.usage.output_tokens > 0 and len(fake.requests) == 2)
    await handle.send("are you there?")
    await idle_after(handle, 2)
    await handle.end()
    await handle.result()

    summary_call, after = (r.body for r in fake.requests[1:])
    request = texts(summary_call["messages"][-1])
    assert summary_call["messages"][-1]["role"] == "user"
    assert "keep the file names" in request[-1]
    assert [m["role"] for m in after["messages"]] == ["user", "assistant", "user"]
    assert "SUMMARY: greeted" in texts(after["messages"][0])[0]
    assert texts(after["messages"][1]) == ["hello"]
    events = await all_events(handle)
    assert [e.replaced_messages for e in events if isinstance(e, Compacted)] == [1]


async def test_nothing_to_compact_is_said_and_changes_nothing(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    handle = await start_session("claude-test")
    await wait_for(handle, lambda s: s.state.kind == "idle")
    await handle.compact()
    fake.add(FakeAnthropic.stream(["hi"]))
    await handle.send("hello")
    await idle_after(handle, 1)
    await handle.end()
    await handle.result()
    assert len(fake.requests) == 1
    errors = [e for e in await all_events(handle) if e.type == "error"]
    assert any("nothing to compact" in e.message for e in errors)  # type: ignore[union-attr]


async def test_people_read_every_message_across_compactions(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    """The model's context shrinks; `transcript(full=True)` (and `tenure show`) still
    gives every message ever exchanged, from the payload store."""
    fake.add(
        FakeAnthropic.stream(["one"]),
        FakeAnthropic.stream(["SUMMARY A"]),
        FakeAnthropic.stream(["two"]),
        FakeAnthropic.stream(["SUMMARY B"]),
        FakeAnthropic.stream(["three"]),
    )
    handle = await start_session("claude-test", prompt="first " + "x" * 400_000)
    await idle_after(handle, 1)
    await handle.compact()
    await handle.send("second")
    await idle_after(handle, 2)
    await handle.compact()
    await handle.send("third")
    await idle_after(handle, 3)

    context = (await handle.transcript()).messages
    assert context[0].text.startswith(SUMMARY_HEADING) and "SUMMARY B" in context[0].text
    assert [m.text for m in context[1:]] == ["two", "third", "three"]
    full = await handle.transcript(full=True)
    assert [m.text[:6] for m in full.messages] == ["first ", "one", "second", "two", "third", "three"]
    assert full.total == 6 and len(full.messages[0].text) == 400_006
    assert [m.text for m in (await handle.transcript(2, 2, full=True)).messages] == ["second", "two"]
    await handle.end()
    await handle.result()


async def test_compact_hooks_add_instructions_block_and_see_the_summary(
    fake: FakeAnthropic, temporal_client: Client, workspace: Path
) -> None:
    seen: list[HookInput] = []

    async def before(event: HookInput) -> HookResult:
        seen.append(event)
        if len([e for e in seen if e.event == "PreCompact"]) == 1:
            return HookResult(additional_context=["mention the milk"])
        return HookResult(decision="deny", reason="not twice")

    async def after(event: HookInput) -> None:
        seen.append(event)

    queue = f"compact-hooks-{uuid.uuid4().hex[:6]}"
    hooks = [Hook("PreCompact", before), Hook("PostCompact", after)]
    fake.add(FakeAnthropic.stream(["one"]), FakeAnthropic.stream(["SUMMARY"]),
             FakeAnthropic.stream(["two"]))
    async with build_worker(temporal_client, task_queue=queue, hooks=hooks):
        handle = await AgentClient(temporal_client, task_queue=queue).start(
            SessionConfig(model="claude-test", prompt="hi", workspace=str(workspace))
        )
        await idle_after(handle, 1)
        await handle.compact("keep it short")
        await wait_for(handle, lambda s: len(fake.requests) == 2 and s.state.kind == "idle")
        await handle.compact()
        await handle.send("again")
        await idle_after(handle, 2)
        await handle.end()
        await handle.result()
        events = await all_events(handle)

    pre = [e for e in seen if e.event == "PreCompact"]
    assert [(e.trigger, e.custom_instructions) for e in pre] == [
        ("manual", "keep it short"), ("manual", None)]
    request = texts(fake.requests[1].body["messages"][-1])[-1]
    assert "keep it short" in request and "mention the milk" in request
    assert [e.summary for e in seen if e.event == "PostCompact"] == ["SUMMARY"]
    assert len(fake.requests) == 3  # the blocked compaction made no model call
    assert [e.replaced_messages for e in events if isinstance(e, Compacted)] == [1]
    assert any("a hook blocked it: not twice" in getattr(e, "message", "") for e in events)

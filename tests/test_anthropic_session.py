"""Sessions on the Anthropic provider: the real SDK over HTTP to a local fake Messages API."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import StartSession, state_is, wait_for
from fake_anthropic import FakeAnthropic

from tenure.models import DEFAULT_TOOLS


async def test_tool_use_streamed_with_input_json_deltas(
    fake: FakeAnthropic, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "hello.txt").write_text("hello from disk")
    fake.add(
        FakeAnthropic.stream(
            ["Let me read it.", {"type": "tool_use", "name": "Read",
                                 "input": {"file_path": "hello.txt"}}],
            usage={"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 7,
                   "cache_creation_input_tokens": 50},
        ),
        FakeAnthropic.stream(["It says hello."]),
    )
    handle = await start_session("anthropic:claude-test", prompt="read hello.txt",
                                 mode="autonomous", system_prompt="Be brief.")
    outcome = await handle.result()
    assert outcome.text == "It says hello."
    assert outcome.usage.cache_read_input_tokens == 7
    assert outcome.usage.cache_creation_input_tokens == 50
    assert outcome.usage.input_tokens == 110
    first, second = (r.body for r in fake.requests)
    assert first["model"] == "claude-test" and first["stream"] is True
    assert [t["name"] for t in first["tools"]] == DEFAULT_TOOLS  # every built-in tool
    assert first["system"][0]["text"] == "Be brief."
    tool_result = second["messages"][2]["content"][0]
    assert tool_result["type"] == "tool_result" and "hello from disk" in tool_result["content"]
    assert fake.requests[0].headers["authorization"] == "Bearer test-key"


async def test_rate_limit_and_overload_are_retried_honouring_retry_after(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    fake.add(
        FakeAnthropic.error(429, "rate_limit_error", "Slow down", {"retry-after": "3"}),
        FakeAnthropic.error(529, "overloaded_error", "Overloaded"),
        FakeAnthropic.stream(["Made it."]),
    )
    started = time.monotonic()
    handle = await start_session("claude-test", prompt="hi", mode="autonomous")
    outcome = await handle.result()
    assert outcome.text == "Made it."
    assert len(fake.requests) == 3 and fake.unscripted == 0
    # Temporal's own first retry would come after 1 s; the server asked for 3 s.
    assert time.monotonic() - started >= 3


async def test_bad_request_is_not_retried_and_ends_in_error(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    fake.add(FakeAnthropic.error(400, "invalid_request_error", "messages: roles must alternate"))
    handle = await start_session("anthropic:claude-test", prompt="hi", mode="autonomous")
    outcome = await handle.result()
    assert outcome.stop_reason == "error"
    assert outcome.error and "400" in outcome.error and "roles must alternate" in outcome.error
    assert len(fake.requests) == 1
    status = await handle.status()
    assert status.state.kind == "error" and status.error == outcome.error


async def test_interactive_session_recovers_after_an_error(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    fake.add(
        FakeAnthropic.error(401, "authentication_error", "invalid x-api-key"),
        FakeAnthropic.stream(["Back again."]),
    )
    handle = await start_session("claude-test", prompt="hi")
    status = await wait_for(handle, state_is("error"))
    assert status.error and "invalid x-api-key" in status.error
    await handle.send("try again")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    # The failed prompt and the new one were sent as one user message.
    [message] = fake.requests[1].body["messages"]
    assert message["role"] == "user" and message["content"][:2] == [
        {"type": "text", "text": "hi"},
        {"type": "text", "text": "try again", "cache_control": {"type": "ephemeral"}}]
    assert message["content"][2]["text"].startswith("<system-reminder>\nEnvironment:")
    await handle.end()

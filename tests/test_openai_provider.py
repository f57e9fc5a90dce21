"""`openai:MODEL` through the official `openai` SDK, against a local fake of Chat
Completions over HTTP: translation both ways, streaming, usage, errors, and a whole
session with tool calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import StartSession, wait_for
from fake_openai import FakeOpenAI, ToolCall

from tenure.models import (
    MALFORMED_INPUT_KEY,
    ImageBlock,
    Message,
    ModelRequest,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from tenure.models.messages import ImageSource
from tenure.models.catalog import DEFAULT_CONTEXT_WINDOW, context_window
from tenure.providers import deprecation, provider_for
from tenure.providers.base import ModelCallError
from tenure.providers.openai import MISSING_KEY, OpenAIProvider, default_client

TOOLS = [{"name": "Read", "description": "Read a file",
          "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}]


@pytest.fixture
def openai_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        default_client.cache_clear()
        yield server
    default_client.cache_clear()


def request(*messages: Message, system: str | None = "Be brief.",
            context: list[str] | None = None) -> ModelRequest:
    return ModelRequest(
        model="openai:gpt-test", system_prompt=system,
        messages=list(messages) or [Message(role="user", content=[TextBlock(text="hi")])],
        tools=["Read"], max_tokens=512, turn=1, session_id="s", context=context or [],
    )


async def complete(req: ModelRequest) -> tuple[object, list[tuple[str, str]]]:
    deltas: list[tuple[str, str]] = []
    response = await OpenAIProvider("gpt-test").complete(
        req, TOOLS, lambda kind, text: deltas.append((kind, text))
    )
    return response, deltas


async def test_text_streams_as_deltas_with_usage_and_the_request_is_chat_completions(
    openai_fake: FakeOpenAI,
) -> None:
    openai_fake.add(FakeOpenAI.stream("Hello there, friend.", usage={
        "prompt_tokens": 120, "completion_tokens": 9, "prompt_tokens_details": {"cached_tokens": 100},
    }))
    response, deltas = await complete(request(context=["today is Thursday"]))
    assert response.message.text == "Hello there, friend."  # type: ignore[attr-defined]
    assert response.stop_reason == "end_turn"  # type: ignore[attr-defined]
    usage = response.usage  # type: ignore[attr-defined]
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (20, 100, 9)
    assert "".join(t for k, t in deltas if k == "text") == "Hello there, friend." and len(deltas) > 1

    body = openai_fake.requests[0].body
    assert openai_fake.requests[0].headers["authorization"] == "Bearer test-key"
    assert body["model"] == "gpt-test" and body["stream"] is True and body["max_tokens"] == 512
    assert "max_completion_tokens" not in body  # OpenAI's own API gets that one instead
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1]["role"] == "user"
    assert [p["text"] for p in body["messages"][1]["content"]] == [
        "hi", "<system-reminder>\ntoday is Thursday\n</system-reminder>"
    ]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "Read", "description": "Read a file", "parameters": TOOLS[0]["input_schema"]}}]


async def test_two_tool_calls_in_one_message_and_their_results_go_back_in_order(
    openai_fake: FakeOpenAI,
) -> None:
    openai_fake.add(FakeOpenAI.stream("Reading both.", tool_calls=[
        ToolCall("Read", '{"file_path": "a.txt"}', id="call_a"),
        ToolCall("Read", '{"file_path": "b.txt"}', id="call_b"),
    ]))
    response, _ = await complete(request())
    message = response.message  # type: ignore[attr-defined]
    assert response.stop_reason == "tool_use"  # type: ignore[attr-defined]
    assert [(b.type, getattr(b, "id", None)) for b in message.content] == [
        ("text", None), ("tool_use", "call_a"), ("tool_use", "call_b")
    ]
    assert message.content[2].input == {"file_path": "b.txt"}

    openai_fake.add(FakeOpenAI.stream("Both read."))
    follow_up = request(
        Message(role="user", content=[TextBlock(text="read a and b")]),
        message,
        Message(role="user", content=[
            ToolResultBlock(tool_use_id="call_a", content="A"),
            ToolResultBlock(tool_use_id="call_b", content="no such file", is_error=True),
            TextBlock(text="and hurry"),
            ImageBlock(source=ImageSource(type="base64", media_type="image/png", data="iVBOR")),
        ]),
    )
    await complete(follow_up)
    sent = openai_fake.requests[1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert sent[2]["content"] == "Reading both."
    assert [c["id"] for c in sent[2]["tool_calls"]] == ["call_a", "call_b"]
    assert sent[2]["tool_calls"][1]["function"] == {
        "name": "Read", "arguments": '{"file_path": "b.txt"}'}
    assert (sent[3]["tool_call_id"], sent[3]["content"]) == ("call_a", "A")
    assert (sent[4]["tool_call_id"], sent[4]["content"]) == ("call_b", "Error: no such file")
    assert sent[5]["content"] == [
        {"type": "text", "text": "and hurry"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
    ]


async def test_reasoning_comes_back_as_thinking(openai_fake: FakeOpenAI) -> None:
    openai_fake.add(FakeOpenAI.stream("42.", reasoning="Six times seven."))
    response, deltas = await complete(request())
    first = response.message.content[0]  # type: ignore[attr-defined]
    assert isinstance(first, ThinkingBlock) and first.thinking == "Six times seven."
    assert "".join(t for k, t in deltas if k == "thinking") == "Six times seven."
    # Thinking is not sent back: Chat Completions has no place for it.
    openai_fake.add(FakeOpenAI.stream("ok"))
    await complete(request(Message(role="user", content=[TextBlock(text="q")]),
                           response.message,  # type: ignore[attr-defined]
                           Message(role="user", content=[TextBlock(text="again")])))
    assert openai_fake.requests[1].body["messages"][2] == {"role": "assistant", "content": "42."}


async def test_malformed_arguments_are_kept_raw_for_the_tool_layer(openai_fake: FakeOpenAI) -> None:
    openai_fake.add(FakeOpenAI.stream(tool_calls=[ToolCall("Read", '{"file_path": "a.t')]))
    response, _ = await complete(request())
    block = response.message.content[0]  # type: ignore[attr-defined]
    assert isinstance(block, ToolUseBlock)
    assert block.input == {MALFORMED_INPUT_KEY: '{"file_path": "a.t'}


async def test_errors_are_classified_and_retry_after_is_honoured(openai_fake: FakeOpenAI) -> None:
    openai_fake.add(FakeOpenAI.error(429, "Slow down", {"retry-after": "7"}))
    with pytest.raises(ModelCallError) as limited:
        await complete(request())
    assert limited.value.retryable and limited.value.status_code == 429
    assert limited.value.retry_after == 7.0 and "Slow down" in str(limited.value)

    openai_fake.add(FakeOpenAI.error(400, "Unknown model gpt-test"))
    with pytest.raises(ModelCallError) as refused:
        await complete(request())
    assert not refused.value.retryable and "Unknown model gpt-test" in str(refused.value)

    openai_fake.add(FakeOpenAI.cut_midway())
    with pytest.raises(ModelCallError) as cut:
        await complete(request())
    assert cut.value.retryable and "broke off" in str(cut.value)
    assert len(openai_fake.requests) == 3  # the SDK's own retries are off


async def test_no_key_and_no_server_are_retryable_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    default_client.cache_clear()
    with pytest.raises(ModelCallError) as missing:
        await complete(request())
    assert missing.value.retryable and str(missing.value) == MISSING_KEY
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    default_client.cache_clear()  # the key is there now: a client is made and kept
    with pytest.raises(ModelCallError) as away:
        await complete(request())
    assert away.value.retryable and "cannot reach the OpenAI-compatible API" in str(away.value)
    default_client.cache_clear()


async def test_a_session_on_openai_runs_its_tools(
    openai_fake: FakeOpenAI, start_session: StartSession, workspace: Path
) -> None:
    assert isinstance(provider_for("openai:gpt-test"), OpenAIProvider)
    (workspace / "notes.txt").write_text("remember the milk\n")
    openai_fake.add(
        FakeOpenAI.stream(tool_calls=[ToolCall("Read", '{"file_path": "notes.txt"}', id="c1")]),
        FakeOpenAI.stream("It says to remember the milk."),
    )
    handle = await start_session("openai:gpt-test", prompt="what do my notes say?",
                                 mode="autonomous", tools=["Read"])
    outcome = await handle.result()
    assert (outcome.stop_reason, outcome.text) == ("end_turn", "It says to remember the milk.")
    second = openai_fake.requests[1].body["messages"]
    tool = next(m for m in second if m["role"] == "tool")
    assert tool["tool_call_id"] == "c1" and "remember the milk" in tool["content"]
    status = await wait_for(handle, lambda s: s.state.kind == "done")
    assert status.usage.input_tokens == 24 and status.usage.output_tokens == 14


def test_compaction_knows_some_openai_windows_and_assumes_the_default_otherwise() -> None:
    assert context_window("openai:gpt-4o-mini") == 128_000
    assert context_window("openai:gpt-4.1-nano") == 1_047_576
    assert context_window("openai:llama3.2") == DEFAULT_CONTEXT_WINDOW
    assert deprecation("openai:gpt-4o") is None


async def test_a_retired_openai_model_is_named_from_the_catalog_once_per_worker(
    openai_fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    """The anthropic SDK lists only Claude models; the catalog's table covers the rest."""
    notice = "The model gpt-4.5-preview is deprecated: its end of life is July 14th, 2025"
    assert deprecation("openai:gpt-4.5-preview") == notice
    assert deprecation("openai:gpt-4.5-preview-2025-02-27") == notice.replace(
        "gpt-4.5-preview", "gpt-4.5-preview-2025-02-27"
    )
    assert deprecation("scripted:/tmp/gpt-4.5-preview") is None
    openai_fake.add(FakeOpenAI.stream("one"), FakeOpenAI.stream("two"))
    for _ in range(2):
        await OpenAIProvider("gpt-4.5-preview").complete(request(), TOOLS, lambda k, t: None)
    assert [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()] == [notice]


async def test_a_429_and_a_cut_stream_are_retried_by_the_session(
    openai_fake: FakeOpenAI, start_session: StartSession
) -> None:
    openai_fake.add(
        FakeOpenAI.error(429, "Slow down", {"retry-after": "1"}),
        FakeOpenAI.cut_midway(),
        FakeOpenAI.stream("Made it."),
    )
    handle = await start_session("openai:gpt-test", prompt="go", mode="autonomous", tools=[])
    outcome = await handle.result()
    assert (outcome.stop_reason, outcome.text) == ("end_turn", "Made it.")
    assert len(openai_fake.requests) == 3


async def test_openais_own_api_gets_max_completion_tokens(
    openai_fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenure.providers.openai.OPENAI_HOST", "127.0.0.1")  # the fake, as if
    openai_fake.add(FakeOpenAI.stream("ok"))
    await complete(request())
    body = openai_fake.requests[0].body
    assert body["max_completion_tokens"] == 512 and "max_tokens" not in body

"""AnthropicProvider through the real anthropic SDK, against a local fake of the API."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
import typing
import warnings
from collections.abc import Iterator

import anthropic
import pytest
from anthropic.types import Model
from fake_anthropic import DEPRECATED_END, DEPRECATED_MODEL, FakeAnthropic

from tenure import settings
from tenure.models import (
    Message,
    ModelRequest,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from tenure.providers import deprecation
from tenure.providers.anthropic import AnthropicProvider, default_client
from tenure.providers.base import ModelCallError

MODEL = "claude-test-model"
READ_TOOL = {
    "name": "Read",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}},
}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def provider_for(base_url: str) -> AnthropicProvider:
    client = anthropic.AsyncAnthropic(base_url=base_url, api_key="test", max_retries=0)
    return AnthropicProvider(MODEL, client)


def request(*messages: Message, system: str | None = "You are terse.") -> ModelRequest:
    return ModelRequest(
        model=f"anthropic:{MODEL}",
        system_prompt=system,
        messages=list(messages) or [Message(role="user", content=[TextBlock(text="hi")])],
        tools=["Read"],
        max_tokens=1024,
        turn=1,
        session_id="s-1",
    )


class Deltas:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, kind: str, delta: str) -> None:
        self.seen.append((kind, delta))

    def joined(self, kind: str) -> str:
        return "".join(d for k, d in self.seen if k == kind)

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.seen if k == kind)


async def call(fake: FakeAnthropic, tools: list[dict[str, object]] | None = None) -> Deltas:
    deltas = Deltas()
    await provider_for(fake.base_url).complete(request(), tools or [], deltas)
    return deltas


async def failure(fake: FakeAnthropic, base_url: str | None = None) -> ModelCallError:
    with pytest.raises(ModelCallError) as info:
        await provider_for(base_url or fake.base_url).complete(request(), [], Deltas())
    return info.value


# -- streaming ----------------------------------------------------------------------------


async def test_text_streams_in_several_deltas(fake: FakeAnthropic) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    fake.add(FakeAnthropic.stream([text], chunk_chars=5))
    deltas = Deltas()

    response = await provider_for(fake.base_url).complete(request(), [], deltas)

    assert deltas.joined("text") == text
    assert deltas.count("text") > 1
    assert response.message == Message(role="assistant", content=[TextBlock(text=text)])
    assert response.stop_reason == "end_turn"
    assert fake.requests[0].body["stream"] is True
    assert len(fake.requests) == 1


async def test_tool_use_input_is_parsed_from_split_json(fake: FakeAnthropic) -> None:
    tool_input = {"file_path": "/work/src/main.py", "limit": 20, "nested": {"a": [1, 2]}}
    fake.add(
        FakeAnthropic.stream(
            [
                "Reading it.",
                {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": tool_input},
            ],
            chunk_chars=7,
        )
    )

    response = await provider_for(fake.base_url).complete(request(), [READ_TOOL], Deltas())

    assert response.message.content == [
        TextBlock(text="Reading it."),
        ToolUseBlock(id="toolu_1", name="Read", input=tool_input),
    ]
    assert response.stop_reason == "tool_use"


async def test_malformed_tool_input_is_kept_raw_for_the_tool_layer(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.stream([{"type": "tool_use", "name": "Read", "input_json": '{"file_'}]))

    response = await provider_for(fake.base_url).complete(request(), [READ_TOOL], Deltas())

    assert response.message.tool_uses[0].input == {"__malformed_input__": '{"file_'}


async def test_thinking_streams_and_keeps_its_signature(fake: FakeAnthropic) -> None:
    thinking = "The user greets me; a short greeting back is enough."
    fake.add(
        FakeAnthropic.stream(
            [{"type": "thinking", "thinking": thinking, "signature": "sig-abc=="}, "Hello!"],
            chunk_chars=6,
        )
    )
    deltas = Deltas()

    response = await provider_for(fake.base_url).complete(request(), [], deltas)

    assert response.message.content == [
        ThinkingBlock(thinking=thinking, signature="sig-abc=="),
        TextBlock(text="Hello!"),
    ]
    assert deltas.joined("thinking") == thinking
    assert deltas.count("thinking") > 1
    assert deltas.joined("text") == "Hello!"


async def test_usage_includes_cache_tokens(fake: FakeAnthropic) -> None:
    usage = {
        "input_tokens": 12,
        "output_tokens": 34,
        "cache_read_input_tokens": 5000,
        "cache_creation_input_tokens": 250,
    }
    fake.add(FakeAnthropic.stream(["ok"], usage=usage, stop_reason="max_tokens"))

    response = await provider_for(fake.base_url).complete(request(), [], Deltas())

    assert response.usage.model_dump() == usage
    assert response.stop_reason == "max_tokens"


# -- the request ----------------------------------------------------------------------------


async def test_request_carries_tools_system_and_cache_breakpoints(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.stream(["done"]))
    conversation = [
        Message(role="user", content=[TextBlock(text="read main.py")]),
        Message(
            role="assistant",
            content=[ToolUseBlock(id="toolu_1", name="Read", input={"file_path": "main.py"})],
        ),
        Message(
            role="user",
            content=[
                ToolResultBlock(tool_use_id="toolu_1", content="print('hi')"),
                TextBlock(text="and explain it"),
            ],
        ),
    ]

    await provider_for(fake.base_url).complete(request(*conversation), [READ_TOOL], Deltas())

    body = fake.requests[0].body
    assert body["model"] == MODEL
    assert body["max_tokens"] == 1024
    assert body["tools"] == [READ_TOOL]
    assert body["system"] == [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]
    messages = body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[2]["content"][-1] == {
        "type": "text",
        "text": "and explain it",
        "cache_control": {"type": "ephemeral"},
    }
    marked = [b for m in messages for b in m["content"] if "cache_control" in b]
    assert len(marked) == 1
    assert messages[2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "print('hi')",
        "is_error": False,
    }


async def test_no_system_and_no_tools_are_left_out(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.stream(["ok"]))

    await provider_for(fake.base_url).complete(request(system=None), [], Deltas())

    assert "system" not in fake.requests[0].body
    assert "tools" not in fake.requests[0].body


# -- errors ---------------------------------------------------------------------------------


async def test_429_is_retryable_and_honours_retry_after(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.error(429, "rate_limit_error", "Slow down", {"retry-after": "7"}))

    error = await failure(fake)

    assert error.retryable
    assert error.status_code == 429
    assert error.retry_after == 7.0
    assert "Slow down" in str(error)
    assert len(fake.requests) == 1


async def test_retry_after_ms_wins_over_retry_after(fake: FakeAnthropic) -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "2"}
    fake.add(FakeAnthropic.error(429, "rate_limit_error", "Slow down", headers))

    assert (await failure(fake)).retry_after == 1.5


async def test_retry_after_may_be_an_http_date(fake: FakeAnthropic) -> None:
    in_30s = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.add(FakeAnthropic.error(503, "api_error", "Unavailable", {"retry-after": in_30s}))

    error = await failure(fake)

    assert error.retryable
    assert error.retry_after is not None and 28 <= error.retry_after <= 30


async def test_529_overloaded_is_retryable(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.error(529, "overloaded_error", "Overloaded"))

    error = await failure(fake)

    assert error.retryable
    assert error.status_code == 529
    assert error.retry_after is None
    assert len(fake.requests) == 1


async def test_400_is_not_retryable_and_says_why(fake: FakeAnthropic) -> None:
    message = "messages.0.content: Field required"
    fake.add(FakeAnthropic.error(400, "invalid_request_error", message))

    error = await failure(fake)

    assert not error.retryable
    assert error.status_code == 400
    assert message in str(error)
    assert "400" in str(error)
    assert len(fake.requests) == 1


async def test_401_is_not_retryable(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.error(401, "authentication_error", "invalid x-api-key"))

    error = await failure(fake)

    assert not error.retryable
    assert error.status_code == 401
    assert "invalid x-api-key" in str(error)


async def test_connection_refused_is_retryable(fake: FakeAnthropic) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]

    error = await failure(fake, base_url=f"http://127.0.0.1:{closed_port}")

    assert error.retryable
    assert error.status_code is None
    # One short sentence that says what went wrong, not the SDK's "Connection error."
    assert str(error) == "cannot reach the Anthropic API (All connection attempts failed)"


async def test_an_unknown_host_is_named_as_such(fake: FakeAnthropic) -> None:
    error = await failure(fake, base_url="http://no-such-host.invalid")

    assert error.retryable
    assert str(error).startswith("cannot reach the Anthropic API (")
    assert "Connection error" not in str(error) and "Errno" not in str(error)
    assert "\n" not in str(error) and len(str(error)) < 120


async def test_error_event_mid_stream_is_retryable(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.stream_error_midway(error_type="overloaded_error", message="Overloaded"))
    deltas = Deltas()

    with pytest.raises(ModelCallError) as info:
        await provider_for(fake.base_url).complete(request(), [], deltas)

    assert info.value.retryable
    assert info.value.status_code == 529
    assert "Overloaded" in str(info.value)
    assert deltas.count("text") >= 1  # it really failed after streaming had begun
    assert len(fake.requests) == 1


async def test_connection_dropped_mid_stream_is_retryable(fake: FakeAnthropic) -> None:
    fake.add(FakeAnthropic.stream_cut_midway())

    error = await failure(fake)

    assert error.retryable
    assert "broke off" in str(error)


async def test_empty_queue_fails_loudly(fake: FakeAnthropic) -> None:
    error = await failure(fake)

    assert "no scripted reply left" in str(error)
    assert fake.unscripted == 1


# -- the default client -------------------------------------------------------------------


@pytest.fixture
def fresh_default_client() -> Iterator[None]:
    default_client.cache_clear()
    yield
    default_client.cache_clear()


async def test_default_client_reads_env_and_does_not_retry(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, fresh_default_client: None
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    fake.add(
        FakeAnthropic.error(529, "overloaded_error", "Overloaded"),
        FakeAnthropic.stream(["a retry would have got this"]),
    )

    with pytest.raises(ModelCallError) as info:
        await AnthropicProvider(MODEL).complete(request(), [], Deltas())

    assert info.value.retryable
    assert len(fake.requests) == 1
    assert "from-env" in str(fake.requests[0].headers)


async def test_missing_api_key_is_one_clear_non_retryable_sentence(
    fake: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: object,
    fresh_default_client: None,
) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ANTHROPIC_CONFIG_DIR", raising=False)
    for name in ("HOME", "XDG_CONFIG_HOME"):  # and no credential profile on disk either
        monkeypatch.setenv(name, str(tmp_path))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)

    with pytest.raises(ModelCallError) as info:
        await AnthropicProvider(MODEL).complete(request(), [], Deltas())

    assert str(info.value).startswith("ANTHROPIC_API_KEY is not set on worker ")
    assert "another worker with the key may serve this call" in str(info.value)
    assert info.value.retryable  # another worker may have the key
    assert fake.requests == []


async def test_a_deprecated_model_is_warned_about_once_per_worker(
    fake: FakeAnthropic, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add(FakeAnthropic.stream(["one"]), FakeAnthropic.stream(["two"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the SDK's own would raise here
        for _ in range(2):
            client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="t", max_retries=0)
            provider = AnthropicProvider(DEPRECATED_MODEL, client)
            await provider.complete(request(), [], Deltas())
    notes = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert notes == [f"The model {DEPRECATED_MODEL} is deprecated: its end of life is {DEPRECATED_END}"]


async def test_a_stalled_stream_fails_the_attempt(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenure.providers.anthropic.STALL_SECONDS", 0.5)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    default_client.cache_clear()
    fake.add(FakeAnthropic.stream(["slow"], delay_s=3))
    with pytest.raises(ModelCallError) as info:
        await AnthropicProvider(MODEL).complete(request(), [], Deltas())
    assert info.value.retryable
    assert str(info.value) == "cannot reach the Anthropic API (timed out)"
    default_client.cache_clear()


async def test_concurrent_calls_of_a_deprecated_model_leave_other_warnings_alone(
    fake: FakeAnthropic,
) -> None:
    """Silencing the SDK's per-call warning must not silence others: concurrent calls that
    each set and restored the filters left a blanket `ignore` behind."""
    fake.add(*(FakeAnthropic.stream(["hi"], delay_s=0.6) for _ in range(2)))
    client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="t", max_retries=0)
    provider = AnthropicProvider(DEPRECATED_MODEL, client)

    async def later() -> None:  # starts second, ends second
        await asyncio.sleep(0.2)
        await provider.complete(request(), [], Deltas())

    with warnings.catch_warnings(record=True) as seen:
        await asyncio.gather(provider.complete(request(), [], Deltas()), later())
        warnings.warn("another deprecation", DeprecationWarning)
    assert [str(w.message) for w in seen] == ["another deprecation"]


def test_the_default_model_is_a_current_one() -> None:
    listed = typing.get_args(typing.get_args(Model)[0])
    assert settings.DEFAULT_MODEL in listed
    assert deprecation(settings.DEFAULT_MODEL) is None
    assert deprecation(f"anthropic:{DEPRECATED_MODEL}") is not None

"""The Anthropic provider: the official SDK, streamed, with prompt caching and no SDK retries.

Temporal is the only retry layer, so the client is built with `max_retries=0` and every
failure becomes a ModelCallError that says whether another try can help.
"""

from __future__ import annotations

import functools
import os
import socket
import warnings
from dataclasses import dataclass
from typing import Any, cast

import anthropic

from anthropic.types import (
    InputJSONDelta,
    MessageParam,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RawMessageStreamEvent,
    SignatureDelta,
    TextBlockParam,
    TextDelta,
    ThinkingConfigParam,
    ThinkingDelta,
    ToolParam,
)
from anthropic.types import TextBlock as ApiTextBlock
from anthropic.types import ThinkingBlock as ApiThinkingBlock
from anthropic.types import ToolUseBlock as ApiToolUseBlock

from tenure.models import (
    ContentBlock,
    Message,
    ModelRequest,
    ModelResponse,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from tenure.providers.base import (
    STALL_SECONDS,
    ModelCallError,
    StreamCallback,
    connection_problem,
    feed,
    is_retryable_status,
    retry_after,
    tool_input,
)
from tenure.providers.deprecation import warn_if_deprecated

MISSING_KEY = (
    f"ANTHROPIC_API_KEY is not set on worker {socket.gethostname()}:{os.getpid()}; "
    "another worker with the key may serve this call"
)
SDK_DEPRECATION_WARNING = r"The model '.*' is deprecated"

# The HTTP status each API error type comes with, to classify an `error` event that
# arrives inside a 200 stream. Unknown types count as a server error (retryable).
_STATUS_OF_ERROR_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


@functools.cache
def default_client() -> anthropic.AsyncAnthropic:
    """The process's shared client. It reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL itself."""
    timeout = anthropic.Timeout(600.0, connect=10.0, read=STALL_SECONDS)
    return anthropic.AsyncAnthropic(max_retries=0, timeout=timeout)


def silence_sdk_deprecation_warning() -> None:
    """Silence the SDK's warning at every call of a deprecated model (tenure warns once,
    see tenure.providers.deprecation) by a filter for its message alone, added (or moved
    to the front) and never removed: a filter set and restored around the call would be
    undone out of order by concurrent calls, and leave every DeprecationWarning of the
    process ignored."""
    warnings.filterwarnings("ignore", SDK_DEPRECATION_WARNING, DeprecationWarning)


class AnthropicProvider:
    def __init__(self, model: str, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.model = model
        self._client = client

    async def complete(
        self, request: ModelRequest, tools: list[dict[str, Any]], on_delta: StreamCallback
    ) -> ModelResponse:
        builder = _ResponseBuilder(on_delta)
        silence_sdk_deprecation_warning()
        warn_if_deprecated(f"anthropic:{self.model}")
        try:
            client = self._client or default_client()
            stream = await client.messages.create(
                model=self.model,
                max_tokens=request.max_tokens,
                system=_system(request.system_prompt) or anthropic.omit,
                messages=_messages(request.messages, request.context),
                tools=cast(list[ToolParam], tools) if tools else anthropic.omit,
                thinking=cast(ThinkingConfigParam, request.thinking.model_dump(exclude_none=True))
                if request.thinking else anthropic.omit,
                stream=True,
            )
            async with stream:
                await feed(
                    stream, builder.add, "Anthropic", (anthropic.AnthropicError,),
                    anthropic.APIConnectionError,
                )
        except anthropic.APIStatusError as e:
            raise _status_error(e) from e
        except anthropic.APIConnectionError as e:  # includes APITimeoutError
            raise ModelCallError(
                f"cannot reach the Anthropic API ({connection_problem(e, isinstance(e, anthropic.APITimeoutError))})", retryable=True
            ) from e
        except TypeError as e:
            # The SDK raises this before sending when it has no credential to send.
            if "authentication" not in str(e):
                raise
            raise ModelCallError(MISSING_KEY, retryable=True) from e
        except anthropic.AnthropicError as e:
            raise ModelCallError(f"Anthropic SDK error: {e}", retryable=False) from e
        return builder.response()


def _system(prompt: str | None) -> list[TextBlockParam]:
    """The system prompt as one block carrying the first cache breakpoint (tools + system)."""
    if not prompt:
        return []
    return [{"type": "text", "text": prompt, "cache_control": {"type": "ephemeral"}}]


def _messages(messages: list[Message], context: list[str]) -> list[MessageParam]:
    """The conversation as API dicts, with a cache breakpoint on the newest cacheable block,
    so each call reads the previous prefix from the cache and writes the longer one.

    Injected context goes after that breakpoint, in the last (user) message, so it never
    enters the cached prefix and the next call's prefix still matches.
    """
    params = [m.model_dump(exclude_none=True) for m in messages]
    for block in reversed(params[-1]["content"] if params else []):
        # The API refuses cache_control on thinking blocks and on empty text blocks.
        if block["type"] != "thinking" and block.get("text", True):
            block["cache_control"] = {"type": "ephemeral"}
            break
    if params and context:
        params[-1]["content"].extend(
            {"type": "text", "text": f"<system-reminder>\n{text}\n</system-reminder>"}
            for text in context
        )
    return cast(list[MessageParam], params)


@dataclass
class _PartialBlock:
    kind: str
    text: str = ""
    """Text, thinking, or a tool_use's raw input JSON, as it streams in."""
    signature: str = ""
    id: str = ""
    name: str = ""

    def finish(self) -> ContentBlock:
        if self.kind == "text":
            return TextBlock(text=self.text)
        if self.kind == "thinking":
            return ThinkingBlock(thinking=self.text, signature=self.signature)
        return ToolUseBlock(id=self.id, name=self.name, input=tool_input(self.text))


class _ResponseBuilder:
    """Folds the raw stream events into a ModelResponse, passing deltas to on_delta."""

    def __init__(self, on_delta: StreamCallback) -> None:
        self.on_delta = on_delta
        self.blocks: dict[int, _PartialBlock] = {}
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.stopped = False

    def add(self, event: RawMessageStreamEvent) -> None:
        if isinstance(event, RawMessageStartEvent):
            u = event.message.usage
            self.usage = Usage(
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_read_input_tokens=u.cache_read_input_tokens or 0,
                cache_creation_input_tokens=u.cache_creation_input_tokens or 0,
            )
        elif isinstance(event, RawContentBlockStartEvent):
            self._start(event)
        elif isinstance(event, RawContentBlockDeltaEvent):
            self._delta(event)
        elif isinstance(event, RawMessageDeltaEvent):
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            d = event.usage  # cumulative counts; input ones only in newer API versions
            self.usage = Usage(
                input_tokens=_or(d.input_tokens, self.usage.input_tokens),
                output_tokens=d.output_tokens,
                cache_read_input_tokens=_or(
                    d.cache_read_input_tokens, self.usage.cache_read_input_tokens
                ),
                cache_creation_input_tokens=_or(
                    d.cache_creation_input_tokens, self.usage.cache_creation_input_tokens
                ),
            )
        elif isinstance(event, RawMessageStopEvent):
            self.stopped = True

    def _start(self, event: RawContentBlockStartEvent) -> None:
        # Blocks tenure has no model for (redacted thinking, server tools) are left out.
        block = event.content_block
        if isinstance(block, ApiTextBlock):
            self.blocks[event.index] = _PartialBlock("text", text=block.text)
        elif isinstance(block, ApiThinkingBlock):
            self.blocks[event.index] = _PartialBlock(
                "thinking", text=block.thinking, signature=block.signature or ""
            )
        elif isinstance(block, ApiToolUseBlock):
            self.blocks[event.index] = _PartialBlock("tool_use", id=block.id, name=block.name)

    def _delta(self, event: RawContentBlockDeltaEvent) -> None:
        partial = self.blocks.get(event.index)
        if partial is None:
            return
        delta = event.delta
        if isinstance(delta, TextDelta):
            partial.text += delta.text
            self.on_delta("text", delta.text)
        elif isinstance(delta, ThinkingDelta):
            partial.text += delta.thinking
            self.on_delta("thinking", delta.thinking)
        elif isinstance(delta, SignatureDelta):
            partial.signature += delta.signature
        elif isinstance(delta, InputJSONDelta):
            partial.text += delta.partial_json

    def response(self) -> ModelResponse:
        if not self.stopped:
            raise ModelCallError("The Anthropic stream ended before message_stop", retryable=True)
        content = [self.blocks[i].finish() for i in sorted(self.blocks)]
        return ModelResponse(
            message=Message(role="assistant", content=content),
            stop_reason=self.stop_reason or "end_turn",
            usage=self.usage,
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _status_error(e: anthropic.APIStatusError) -> ModelCallError:
    """Classify an HTTP error, or an `error` event inside a 200 stream, by its status."""
    error = e.body.get("error") if isinstance(e.body, dict) else None
    error = error if isinstance(error, dict) else {}
    error_type = str(error.get("type") or "error")
    detail = str(error.get("message") or e.message)
    status = e.status_code
    if status < 400:  # the stream started fine, then the API sent an error event
        status = _STATUS_OF_ERROR_TYPE.get(error_type, 500)
        text = f"Anthropic API error mid-stream ({error_type}): {detail}"
    else:
        text = f"Anthropic API error {status} ({error_type}): {detail}"
    return ModelCallError(
        text,
        retryable=is_retryable_status(status),
        status_code=status,
        retry_after=retry_after(e.response.headers),
    )

"""OpenAI-compatible Chat Completions (`openai:MODEL`): OpenAI, Ollama, vLLM, LM Studio,
OpenRouter, a LiteLLM proxy. Through the official `openai` SDK, streaming, with the SDK's
own retries off (Temporal retries the activity). The worker's `OPENAI_BASE_URL` and
`OPENAI_API_KEY` say where and as whom.

tenure's messages are Anthropic-shaped; this module translates at the edge: text and
images stay in the message, `tool_use` blocks become the assistant's `tool_calls`, each
`tool_result` a `role: "tool"` message with its `tool_call_id` (right after the assistant
message, before any text of the same user turn), tool definitions become functions.
Reasoning an endpoint streams (`reasoning_content` or `reasoning`) comes back as thinking.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import openai
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageParam,
)

from tenure.models import (
    ContentBlock,
    ImageBlock,
    Message,
    ModelRequest,
    ModelResponse,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
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
    "No OpenAI credential on this worker: set OPENAI_API_KEY in the worker's environment "
    "(any value for an endpoint that needs none, such as Ollama), and OPENAI_BASE_URL for "
    "an endpoint other than OpenAI's"
)
OPENAI_HOST = "api.openai.com"
_STOP_REASONS = {"tool_calls": "tool_use", "function_call": "tool_use", "length": "max_tokens"}


@functools.cache
def default_client() -> openai.AsyncOpenAI:
    """The process's shared client (one pool of connections, kept open from call to call),
    from the worker's environment, without the SDK's own retries. A worker without
    OPENAI_API_KEY gets no client, and is asked again at the next call."""
    timeout = openai.Timeout(600.0, connect=10.0, read=STALL_SECONDS)
    try:
        return openai.AsyncOpenAI(max_retries=0, timeout=timeout)
    except openai.OpenAIError as e:  # no OPENAI_API_KEY
        raise ModelCallError(MISSING_KEY, retryable=True) from e


class OpenAIProvider:
    def __init__(self, model: str, client: openai.AsyncOpenAI | None = None) -> None:
        self.model = model
        self._client = client

    async def complete(
        self, request: ModelRequest, tools: list[dict[str, Any]], on_delta: StreamCallback
    ) -> ModelResponse:
        builder = _ResponseBuilder(on_delta)
        warn_if_deprecated(f"openai:{self.model}")
        client = self._client or default_client()
        try:
            # OpenAI's own API wants max_completion_tokens (its reasoning models refuse
            # max_tokens); the compatible servers know max_tokens.
            own_api = client.base_url.host == OPENAI_HOST
            limit = "max_completion_tokens" if own_api else "max_tokens"
            stream = await client.chat.completions.create(
                model=self.model,
                messages=_messages(request),
                tools=(
                    cast(list[ChatCompletionFunctionToolParam], [_function(t) for t in tools])
                    if tools else openai.omit
                ),
                stream=True,
                stream_options={"include_usage": True},
                extra_body={limit: request.max_tokens},
            )
            async with stream:
                await feed(
                    stream, builder.add, "OpenAI", (openai.APIStatusError,),
                    openai.APIConnectionError,
                )
        except openai.APIStatusError as e:
            raise _status_error(e) from e
        except openai.APIConnectionError as e:  # includes APITimeoutError
            raise ModelCallError(
                f"cannot reach the OpenAI-compatible API at {client.base_url} "
                f"({connection_problem(e, isinstance(e, openai.APITimeoutError))})",
                retryable=True,
            ) from e
        except openai.OpenAIError as e:
            raise ModelCallError(f"OpenAI SDK error: {e}", retryable=False) from e
        return builder.response()


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic-shaped tool definition as a Chat Completions function."""
    return {"type": "function", "function": {
        "name": tool["name"],
        "description": tool.get("description", ""),
        "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
    }}


def _messages(request: ModelRequest) -> list[ChatCompletionMessageParam]:
    """The conversation in Chat Completions' shape; injected context goes, as for
    Anthropic, at the end of the last user message."""
    out: list[dict[str, Any]] = []
    if request.system_prompt:
        out.append({"role": "system", "content": request.system_prompt})
    for position, message in enumerate(request.messages):
        last = position == len(request.messages) - 1
        if message.role == "assistant":
            out.append(_assistant(message))
        else:
            out += _user(message, request.context if last else [])
    return cast(list[ChatCompletionMessageParam], out)


def _assistant(message: Message) -> dict[str, Any]:
    text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
    calls = [
        {"id": b.id, "type": "function",
         "function": {"name": b.name, "arguments": json.dumps(b.input)}}
        for b in message.content if isinstance(b, ToolUseBlock)
    ]
    if not calls:
        return {"role": "assistant", "content": text}
    return {"role": "assistant", "content": text or None, "tool_calls": calls}


def _user(message: Message, context: list[str]) -> list[dict[str, Any]]:
    """Tool results first (each a `tool` message), then the rest of the turn as one user
    message: a tool message must follow the assistant message that called the tool."""
    tools: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, ToolResultBlock):
            text = f"Error: {block.content}" if block.is_error else block.content
            tools.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": text})
            if block.images:  # a tool message holds text only: its images follow as the user's
                parts.append({"type": "text", "text": f"Images from tool call {block.tool_use_id}:"})
                parts += [_image_part(image) for image in block.images]
        elif isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image_part(block))
    parts += [
        {"type": "text", "text": f"<system-reminder>\n{text}\n</system-reminder>"}
        for text in context
    ]
    if parts:
        tools.append({"role": "user", "content": parts})
    return tools


def _image_part(image: ImageBlock) -> dict[str, Any]:
    source = image.source
    url = source.url or f"data:{source.media_type};base64,{source.data}"
    return {"type": "image_url", "image_url": {"url": url}}


@dataclass
class _ToolCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _ResponseBuilder:
    on_delta: StreamCallback
    text: str = ""
    thinking: str = ""
    calls: dict[int, _ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)

    def add(self, chunk: ChatCompletionChunk) -> None:
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            cached = (details.cached_tokens or 0) if details else 0
            self.usage = Usage(
                input_tokens=chunk.usage.prompt_tokens - cached,
                output_tokens=chunk.usage.completion_tokens,
                cache_read_input_tokens=cached,
            )
        for choice in chunk.choices[:1]:
            delta = choice.delta
            extra = delta.model_extra or {}
            reasoning = extra.get("reasoning_content") or extra.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                self.thinking += reasoning
                self.on_delta("thinking", reasoning)
            if delta.content:
                self.text += delta.content
                self.on_delta("text", delta.content)
            for call in delta.tool_calls or []:
                partial = self.calls.setdefault(call.index, _ToolCall())
                partial.id = call.id or partial.id
                if call.function:
                    partial.name = call.function.name or partial.name
                    partial.arguments += call.function.arguments or ""
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason

    def response(self) -> ModelResponse:
        if self.finish_reason is None:
            raise ModelCallError("The OpenAI stream ended before a finish_reason", retryable=True)
        content: list[ContentBlock] = []
        if self.thinking:
            content.append(ThinkingBlock(thinking=self.thinking, signature=""))
        if self.text:
            content.append(TextBlock(text=self.text))
        for index in sorted(self.calls):
            call = self.calls[index]
            content.append(ToolUseBlock(
                id=call.id or f"call_{index}", name=call.name, input=tool_input(call.arguments)
            ))
        stop = _STOP_REASONS.get(self.finish_reason, "end_turn")
        return ModelResponse(
            message=Message(role="assistant", content=content or [TextBlock(text="")]),
            stop_reason=stop,
            usage=self.usage,
        )


def _status_error(e: openai.APIStatusError) -> ModelCallError:
    body = e.body if isinstance(e.body, Mapping) else {}
    error = body.get("error", body) if isinstance(body, Mapping) else {}
    error = error if isinstance(error, Mapping) else {}
    detail = str(error.get("message") or e.message)
    kind = str(error.get("type") or error.get("code") or "error")
    return ModelCallError(
        f"OpenAI-compatible API error {e.status_code} ({kind}): {detail}",
        retryable=is_retryable_status(e.status_code),
        status_code=e.status_code,
        retry_after=retry_after(e.response.headers),
    )

"""The Provider protocol and the error classification every provider shares."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from tenure.models import MALFORMED_INPUT_KEY, ModelRequest, ModelResponse

T = TypeVar("T")
StreamCallback = Callable[[str, str], None]
"""Called with (kind, delta) as output arrives: kind is `text` or `thinking`."""
STALL_SECONDS = 120.0
"""A stream that sends nothing (not even its pings) for this long has stalled: the
attempt fails and is retried, rather than waiting out the activity's 10 minutes."""


class ModelCallError(Exception):
    """A failed model call, classified for Temporal's retry layer."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after
        """Seconds the provider asked us to wait before the next try."""


def is_retryable_status(status: int) -> bool:
    """408/409/429/5xx (including Anthropic's 529 overloaded) are retried; other 4xx are not."""
    return status in (408, 409, 429) or status >= 500


class Provider(Protocol):
    async def complete(
        self,
        request: ModelRequest,
        tools: list[dict[str, Any]],
        on_delta: StreamCallback,
    ) -> ModelResponse:
        """Send the conversation (with tool definitions) and return the assistant message.

        Raises ModelCallError for provider failures.
        """
        ...


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def connection_problem(error: Exception, timed_out: bool) -> str:
    """What went wrong, in a few words: the SDKs' own message is always "Connection
    error.", its cause says which (`Name or service not known`, `All connection attempts
    failed`, ...)."""
    if timed_out:
        return "timed out"
    cause = " ".join(str(error.__cause__ or "").split())
    return re.sub(r"^\[Errno -?\d+\] ", "", cause)[:200] or str(error).rstrip(".")


def tool_input(raw: str) -> dict[str, Any]:
    """A tool call's input parsed from the streamed JSON.

    A model can emit input that is not a JSON object (cut off by max_tokens, or just
    wrong). Failing the call would retry into the same answer, and `{}` would hide the
    mistake, so the raw text is kept under `__malformed_input__`: the tool layer then
    reports a clear error to the model, which can try again.
    """
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {MALFORMED_INPUT_KEY: raw}
    return value if isinstance(value, dict) else {MALFORMED_INPUT_KEY: raw}


async def feed(
    stream: AsyncIterable[T],
    add: Callable[[T], None],
    provider: str,
    classified: tuple[type[Exception], ...],
    connection: type[Exception],
) -> None:
    """Pass each item of a provider's stream to `add`.

    Once the response has started, a dropped connection, a read timeout or a garbled event
    means the stream broke off: some SDK releases let their HTTP library's error through
    unwrapped, newer ones wrap it in their `connection` error. A model call is safe to
    retry, so either is a retryable ModelCallError that says the stream broke off; the
    other errors the SDK itself raises (`classified`) go on to the provider's own
    classification.
    """
    try:
        async for item in stream:
            add(item)
    except Exception as e:
        if isinstance(e, ModelCallError) or (
            isinstance(e, classified) and not isinstance(e, connection)
        ):
            raise
        raise ModelCallError(
            f"The {provider} stream broke off: {type(e).__name__}: {e}", retryable=True
        ) from e

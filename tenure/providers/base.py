"""The Provider protocol and the error classification every provider shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tenure.models import ModelRequest, ModelResponse

StreamCallback = Callable[[str, str], None]
"""Called with (kind, delta) as output arrives: kind is `text` or `thinking`."""


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

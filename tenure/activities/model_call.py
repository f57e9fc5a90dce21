"""The `model_call` activity: one request to the model provider, streamed, heartbeating."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.activities.heartbeat import heartbeating
from tenure.models import ModelRequest, ModelResponse
from tenure.providers import ModelCallError, provider_for
from tenure.tools import ToolRegistry


class ModelCallActivity:
    def __init__(self, registry: ToolRegistry) -> None:
        self.registry = registry

    @activity.defn(name="model_call")
    async def model_call(self, request: ModelRequest) -> ModelResponse:
        """Send the conversation with the session's tool definitions; return the reply.

        Provider errors become ApplicationErrors that Temporal retries or not, as
        ModelCallError classified them; a provider's retry-after sets the next delay.
        """
        try:
            provider = provider_for(request.model)
            async with heartbeating():
                return await provider.complete(
                    request, self.registry.definitions(request.tools), lambda kind, delta: None
                )
        except ModelCallError as e:
            raise ApplicationError(
                str(e),
                type="ModelCallError",
                non_retryable=not e.retryable,
                next_retry_delay=timedelta(seconds=e.retry_after) if e.retry_after else None,
            ) from e

"""The `model_call` activity: one request to the model provider, streamed, heartbeating."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.activities.deltas import publishing_deltas
from tenure.activities.heartbeat import heartbeating
from tenure.activities.transcripts import TranscriptCache
from tenure.context import ContextInjector, ContextRequest, gather_context
from tenure.models import ModelCallInput, ModelRequest, ModelResponse
from tenure.providers import ModelCallError, provider_for
from tenure.tools import ToolRegistry


class ModelCallActivity:
    def __init__(self, registry: ToolRegistry, context: list[ContextInjector]) -> None:
        self.registry = registry
        self.context = context
        self.transcripts = TranscriptCache()

    @activity.defn(name="model_call")
    async def model_call(self, call: ModelCallInput) -> ModelResponse:
        """Send the conversation with the session's tool definitions; return the reply.

        The output is published to the session's stream as it arrives. Provider errors
        become ApplicationErrors that Temporal retries or not, as ModelCallError
        classified them; a provider's retry-after sets the next delay.
        """
        try:
            provider = provider_for(call.model)
            async with heartbeating(), publishing_deltas(call.turn) as on_delta:
                messages = await self.transcripts.messages(
                    call.session_id, call.run_id, call.transcript_length
                )
                context = await gather_context(
                    self.context, ContextRequest(call.session_id, call.workspace, call.turn)
                )
                request = ModelRequest(
                    messages=messages,
                    context=context,
                    **call.model_dump(
                        exclude={"session_id", "run_id", "transcript_length", "workspace"}
                    ),
                    session_id=call.session_id,
                )
                return await provider.complete(
                    request, self.registry.definitions(request.tools), on_delta
                )
        except ModelCallError as e:
            raise ApplicationError(
                str(e),
                type="ModelCallError",
                non_retryable=not e.retryable,
                next_retry_delay=timedelta(seconds=e.retry_after) if e.retry_after else None,
            ) from e

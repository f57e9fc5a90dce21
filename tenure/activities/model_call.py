"""The `model_call` activity: one request to the model provider, streamed, heartbeating."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.activities.deltas import DeltaPublisher, publishing_deltas
from tenure.activities.heartbeat import heartbeating
from tenure.activities.mcp_tools import McpToolsCache
from tenure.activities.transcripts import TranscriptCache
from tenure.context import ContextInjector, ContextRequest, gather_context
from tenure.models import Message, ModelCallInput, ModelRequest, ModelResponse, TextBlock
from tenure import settings
from tenure.models.agents import AGENT_TOOL, GENERAL_PURPOSE, GENERAL_PURPOSE_NAME
from tenure.models.catalog import prices
from tenure.providers.system_prompt import system_prompt
from tenure.models.events import ModelError
from tenure.providers import ModelCallError, provider_for
from tenure.tools import ToolRegistry

FIRST_RETRY = 1.0
"""Seconds before the second attempt; each later wait doubles, up to MAX_RETRY_WAIT."""
MAX_RETRY_WAIT = 30.0
MESSAGE_CHARS = 300


def with_user_text(messages: list[Message], text: str) -> list[Message]:
    """The conversation with `text` as the last user message's last block (or as a new
    user message after a model reply), leaving the cached list as it was."""
    block = TextBlock(text=text)
    if messages and messages[-1].role == "user":
        last = messages[-1]
        return [*messages[:-1], Message(role="user", content=[*last.content, block])]
    return [*messages, Message(role="user", content=[block])]


def with_agent_types(
    definitions: list[dict[str, Any]], own: dict[str, str]
) -> list[dict[str, Any]]:
    """The tool definitions with the subagent types listed in the Agent tool's
    description (as Claude Code lists them): the built-in one and the session's `own`,
    sorted, so the bytes are the same at every call and the prompt cache keeps hitting.
    The shared definitions are left as they were."""
    types = {GENERAL_PURPOSE_NAME: GENERAL_PURPOSE.description, **own}
    listing = "\n".join(f"- {name}: {types[name]}" for name in sorted(types))
    return [
        {**d, "description": f"{d['description']}\n\nAvailable agent types:\n{listing}"}
        if d["name"] == AGENT_TOOL else d
        for d in definitions
    ]


def _cost_usd(model: str, response: ModelResponse) -> float:
    """The call's cost by the catalog's prices and the worker's TENURE_PRICES."""
    try:
        table = settings.price_overrides()
    except ValueError as e:
        raise ApplicationError(str(e), type="ConfigError", non_retryable=True) from e
    known = prices(model, table)
    return known.cost_usd(response.usage) if known else 0.0


def retry_wait(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait after `attempt` failed: what the provider asked for, else
    exponential backoff capped at MAX_RETRY_WAIT (so a provider back after an outage is
    used again within half a minute)."""
    if retry_after:
        return retry_after
    return float(min(FIRST_RETRY * 2 ** (attempt - 1), MAX_RETRY_WAIT))


class ModelCallActivity:
    def __init__(self, registry: ToolRegistry, context: list[ContextInjector]) -> None:
        self.registry = registry
        self.context = context
        self.transcripts = TranscriptCache()
        self.mcp_tools = McpToolsCache()

    @activity.defn(name="model_call")
    async def model_call(self, call: ModelCallInput) -> ModelResponse:
        """Send the conversation with the session's tool definitions; return the reply.

        The output is published to the session's stream as it arrives. A failure that
        another try can help is published too (`model_error`: what went wrong and when
        the next try comes) and raised with that delay; one that cannot (a request the
        provider refuses) is raised non-retryable.
        """
        async with heartbeating(), publishing_deltas(call.turn, call.stream_output) as output:
            try:
                return await self._complete(call, output)
            except ModelCallError as e:
                if not e.retryable:
                    raise ApplicationError(str(e), type="ModelCallError", non_retryable=True) from e
                failure = self._retrying(output, call, str(e), e.retry_after)
                raise failure from e
            except ApplicationError as e:
                if e.non_retryable:
                    raise
                raise self._retrying(output, call, e.message, None) from e
            except Exception as e:  # noqa: BLE001 - reported, then retried by Temporal
                raise self._retrying(output, call, f"{type(e).__name__}: {e}", None) from e

    async def _complete(self, call: ModelCallInput, output: DeltaPublisher) -> ModelResponse:
        provider = provider_for(call.model)
        messages = await self.transcripts.messages(call)
        if call.summary_request is not None:
            messages = with_user_text(messages, call.summary_request)
        context = await gather_context(
            self.context, ContextRequest(call.session_id, call.workspace, call.turn)
        )
        request = ModelRequest(
            messages=messages,
            context=context,
            **call.model_dump(
                exclude={
                    "session_id", "run_id", "transcript_length", "workspace", "stream_output",
                    "compactions", "summary_request", "revision", "tail", "tail_from",
                    "tail_base", "agents", "system_prompt", "append_system_prompt",
                    "mcp_tools", "mcp_tools_revision",
                }
            ),
            system_prompt=system_prompt(call.system_prompt, call.append_system_prompt),
            session_id=call.session_id,
            summary_request=call.summary_request is not None,
        )
        mcp_tools = await self.mcp_tools.tools(call)
        definitions = self.registry.definitions(request.tools)
        if AGENT_TOOL in request.tools:
            definitions = with_agent_types(definitions, call.agents)
        definitions = [*definitions, *(t.definition() for t in mcp_tools)]
        response = await provider.complete(request, definitions, output)
        return response.model_copy(update={"cost_usd": _cost_usd(call.model, response)})

    def _retrying(
        self,
        output: DeltaPublisher,
        call: ModelCallInput,
        message: str,
        retry_after: float | None,
    ) -> ApplicationError:
        """Tell the session's followers this attempt failed and when the next comes;
        the error to raise, carrying that delay."""
        attempt = activity.info().attempt
        wait = retry_wait(attempt, retry_after)
        message = message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"
        activity.logger.warning(
            "Model call failed (attempt %d), retrying in %.0f s: %s", attempt, wait, message
        )
        output.publish(ModelError(turn=call.turn, attempt=attempt, message=message, retry_in_s=wait))
        return ApplicationError(
            message, type="ModelCallError", next_retry_delay=timedelta(seconds=wait)
        )

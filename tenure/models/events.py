"""What a session publishes on its workflow stream, for UIs and services to follow live.

Two topics share one offset-ordered log. `events` carries what the workflow publishes
(one JSON object per thing that happened, each with a `type`); `deltas` carries the model
output as it streams in, published by the `model_call` activity in coalesced pieces.

Deltas are a preview: the `message` event of kind `assistant` that follows them is the
authoritative text. A retried model call first publishes `model_retry`; a client drops
the partial output it showed for that turn and starts again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from tenure.models.interaction import Question
from tenure.models.messages import ContentBlock, Usage
from tenure.models.state import PresentedFile, SessionOutcome, SessionState

EVENTS_TOPIC = "events"
DELTAS_TOPIC = "deltas"
STREAM_POLL = "__temporal_workflow_stream_poll"
"""The stream's long-poll update and its immediate query (temporalio.contrib.workflow_streams)."""
STREAM_OFFSET = "__temporal_workflow_stream_offset"
"""The stream's query for its next offset."""
WAIT_FOR_EVENTS = "wait_for_events"
"""The session's long-poll update that returns only the stream's next offset (see
tenure/client/stream.py)."""


class _Event(BaseModel):
    turn: int
    """The session's model-call counter when this happened (0 before the first call)."""
    at: str
    """When, as the workflow saw it (ISO 8601, UTC)."""


class SessionStarted(_Event):
    type: Literal["session_start"] = "session_start"
    model: str
    title: str | None
    mode: str
    workspace: str


class TurnStarted(_Event):
    """A model call begins; a turn is one model call and the tools it asks for."""

    type: Literal["turn_start"] = "turn_start"


class MessageAdded(_Event):
    """Content added to the transcript. A user message that carries tool results and
    steering text comes as two events with the same `index`."""

    type: Literal["message"] = "message"
    kind: Literal["user", "assistant", "tool_result"]
    index: int
    """The message's position in the transcript."""
    content: list[ContentBlock]


class ToolStarted(_Event):
    """The model asked for a tool; permission, hooks and execution follow."""

    type: Literal["tool_start"] = "tool_start"
    tool_use_id: str
    tool_name: str
    input: dict[str, Any]
    summary: str
    """One line for a person: `Bash · npm test`."""


class ToolEnded(_Event):
    type: Literal["tool_end"] = "tool_end"
    tool_use_id: str
    tool_name: str
    is_error: bool
    preview: str
    """The start of the result (the whole result is in the following `message` event)."""


class PermissionRequested(_Event):
    type: Literal["permission_request"] = "permission_request"
    request_id: str
    tool_name: str
    tool_use_id: str
    input: dict[str, Any]
    reason: str


class PermissionResolved(_Event):
    type: Literal["permission_resolved"] = "permission_resolved"
    request_id: str
    decision: Literal["allow", "deny", "interrupted"]
    scope: Literal["once", "session"] | None = None
    reason: str | None = None
    decided_by: str | None = None
    origin: str | None = None
    """Where the decision came from (PermissionResponse.origin)."""


class QuestionAsked(_Event):
    type: Literal["question"] = "question"
    request_id: str
    tool_use_id: str
    questions: list[Question]


class QuestionAnswered(_Event):
    type: Literal["question_answered"] = "question_answered"
    request_id: str
    answers: dict[str, str] | None
    """None when the question was interrupted instead."""
    decided_by: str | None = None
    origin: str | None = None


class FilePresented(_Event):
    type: Literal["file_presented"] = "file_presented"
    file: PresentedFile


class StateChanged(_Event):
    type: Literal["state_change"] = "state_change"
    state: SessionState


class UsageReported(_Event):
    type: Literal["usage"] = "usage"
    usage: Usage
    """This model call's tokens."""
    total: Usage
    """The session's tokens so far."""
    cost_usd: float = 0.0
    """This model call's cost."""
    cost_usd_total: float = 0.0
    """The session's cost so far, its finished subagents' included."""


class ErrorReported(_Event):
    """Something went wrong that a person should see; the session goes on unless a
    `state_change` to `error` or a `session_end` follows."""

    type: Literal["error"] = "error"
    source: Literal["model", "signal", "hook", "session"]
    message: str


class TurnEnded(_Event):
    type: Literal["turn_end"] = "turn_end"
    stop_reason: str
    """The model's stop reason (`tool_use`, `end_turn`, `max_tokens`) or `interrupted`."""


class SubagentStarted(_Event):
    """The `Agent` tool started a subagent: a child session with its own stream."""

    type: Literal["subagent_start"] = "subagent_start"
    session_id: str
    subagent_type: str
    description: str


class SubagentEnded(_Event):
    type: Literal["subagent_end"] = "subagent_end"
    session_id: str
    stop_reason: str


class SessionEnded(_Event):
    type: Literal["session_end"] = "session_end"
    outcome: SessionOutcome


class Continued(_Event):
    """The session goes on in a new run of its workflow (continue-as-new): same id,
    same stream offsets, a fresh history. Published first thing by the new run."""

    type: Literal["continued"] = "continued"
    run_id: str
    """The new run's id."""


class Compacted(_Event):
    """The conversation was compacted: the model now sees a summary in place of
    `replaced_messages` older messages (people can still read them all)."""

    type: Literal["compaction"] = "compaction"
    before_tokens: int
    """Input tokens of the last model call before the compaction."""
    after_tokens: int
    """Input tokens of the summary and the messages kept, as estimated."""
    replaced_messages: int


class TextDelta(BaseModel):
    """Model text as it streams (topic `deltas`)."""

    type: Literal["text_delta"] = "text_delta"
    turn: int
    attempt: int
    """The model call's attempt; output of earlier attempts of the same turn is stale."""
    text: str


class ThinkingDelta(BaseModel):
    type: Literal["thinking_delta"] = "thinking_delta"
    turn: int
    attempt: int
    text: str


class ModelRetry(BaseModel):
    """A model call is being tried again: drop the deltas shown for this turn so far."""

    type: Literal["model_retry"] = "model_retry"
    turn: int
    attempt: int


class ModelError(BaseModel):
    """A model call attempt failed and will be tried again (topic `deltas`): one line for
    a person, e.g. "cannot reach the Anthropic API, retrying in 8 s (attempt 3)"."""

    type: Literal["model_error"] = "model_error"
    turn: int
    attempt: int
    """The attempt that failed."""
    message: str
    """What went wrong, in one sentence (at most 300 characters)."""
    retry_in_s: float
    """Seconds until the next attempt."""


SessionEvent = Annotated[
    SessionStarted
    | TurnStarted
    | MessageAdded
    | ToolStarted
    | ToolEnded
    | PermissionRequested
    | PermissionResolved
    | QuestionAsked
    | QuestionAnswered
    | FilePresented
    | StateChanged
    | UsageReported
    | ErrorReported
    | TurnEnded
    | SubagentStarted
    | SubagentEnded
    | SessionEnded
    | Continued
    | Compacted
    | TextDelta
    | ThinkingDelta
    | ModelRetry
    | ModelError,
    Field(discriminator="type"),
]
session_event: TypeAdapter[SessionEvent] = TypeAdapter(SessionEvent)

__all__ = [
    "DELTAS_TOPIC",
    "Compacted",
    "Continued",
    "EVENTS_TOPIC",
    "ErrorReported",
    "FilePresented",
    "MessageAdded",
    "ModelError",
    "ModelRetry",
    "PermissionRequested",
    "PermissionResolved",
    "QuestionAnswered",
    "QuestionAsked",
    "SessionEnded",
    "SessionEvent",
    "SessionStarted",
    "StateChanged",
    "SubagentEnded",
    "SubagentStarted",
    "TextDelta",
    "ThinkingDelta",
    "ToolEnded",
    "ToolStarted",
    "TurnEnded",
    "TurnStarted",
    "UsageReported",
    "session_event",
]

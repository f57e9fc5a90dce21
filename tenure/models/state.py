"""What the `status` and `transcript` queries return, and the session's result."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenure.models.budget import Budget
from tenure.models.interaction import PendingQuestion, Todo
from tenure.models.messages import Message, Usage

StateKind = Literal[
    "idle",
    "processing",
    "waiting_for_permission",
    "executing_tool",
    "waiting_for_subagent",
    "waiting_for_user_input",
    "done",
    "error",
]


class SessionState(BaseModel):
    kind: StateKind
    tool_name: str | None = None
    tool_use_id: str | None = None
    session_id: str | None = None
    """The subagent's session, while `waiting_for_subagent`."""
    request_id: str | None = None
    """The request waiting for a person: the question while `waiting_for_user_input`,
    the permission request while `waiting_for_permission`."""
    message: str | None = None
    """What went wrong, in `error`; in another state, what the session waits for (its
    tool host being offline)."""

    def describe(self) -> str:
        """One line for a person (the Temporal web UI's current details)."""
        if self.kind == "executing_tool":
            return f"executing_tool · {self.tool_name}"
        if self.kind == "waiting_for_permission" and self.tool_name:
            return f"waiting_for_permission · {self.tool_name}"
        if self.kind == "error":
            return f"error · {self.message}"
        return self.kind


class PendingPermission(BaseModel):
    request_id: str
    tool_name: str
    tool_use_id: str
    input: dict[str, Any]
    reason: str
    """Why a person is asked (which rule or mode led here)."""


class PresentedFile(BaseModel):
    """A file the agent handed to the person with PresentFile."""

    file_path: str
    """Absolute path on the tool worker."""
    file_name: str | None = None
    description: str | None = None


class RejectedSignal(BaseModel):
    """A signal that did not fit and changed nothing."""

    signal: str
    reason: str


class ModelRetryStatus(BaseModel):
    """A model call that failed and is being tried again (a provider outage, a rate
    limit): what went wrong and when the next attempt comes."""

    attempt: int
    """The attempt that failed."""
    message: str
    next_retry_at: str
    """ISO 8601, UTC."""


class SessionStatus(BaseModel):
    state: SessionState
    turn: int
    pending_permissions: list[PendingPermission] = Field(default_factory=list)
    pending_questions: list[PendingQuestion] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    """The session's own model calls."""
    usage_total: Usage = Field(default_factory=Usage)
    """With its subagents' (and theirs), as far as they have finished."""
    subagents: list[str] = Field(default_factory=list)
    """Session ids of the subagents running now."""
    cost_usd: float = 0.0
    """What the session's own model calls cost (tenure.models.catalog's prices)."""
    cost_usd_total: float = 0.0
    """With its finished subagents'."""
    budget: Budget = Field(default_factory=Budget)
    todos: list[Todo] = Field(default_factory=list)
    presented_files: list[PresentedFile] = Field(default_factory=list)
    title: str | None = None
    error: str | None = None
    rejected_signals: list[RejectedSignal] = Field(default_factory=list)
    """The most recent signals that were refused (bad shape, unknown request id)."""
    model_retry: ModelRetryStatus | None = None
    """Set while the current model call is being retried after a failure."""


TRANSCRIPT_PAGE_BYTES = 512 * 1024
"""A transcript page holds messages up to about this many bytes of JSON (at least one
message), so that no query result comes near Temporal's payload limits."""


class TranscriptQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset: int = Field(default=0, ge=0)
    limit: int | None = Field(default=None, ge=0)
    max_bytes: int = Field(default=TRANSCRIPT_PAGE_BYTES, ge=1, le=TRANSCRIPT_PAGE_BYTES)
    """The page stops before the content block that would take it past this size."""
    block_offset: int = Field(default=0, ge=0)
    """Start inside message `offset`, at this content block (to go on where a page cut
    a message)."""


class TranscriptPage(BaseModel):
    messages: list[Message]
    total: int
    """Messages in the whole transcript. A page may hold fewer than asked for: read on
    from `offset + len(messages)`."""
    next_block: int | None = None
    """Set when the page cut its last message: the rest of that message comes from the
    query with `offset` = its index and `block_offset` = `next_block`."""


StopReason = Literal[
    "end_turn", "max_turns", "max_tokens", "interrupted", "ended", "error", "budget"
]


class SessionOutcome(BaseModel):
    """The workflow's result."""

    text: str
    """The final assistant text."""
    stop_reason: StopReason
    usage: Usage
    turns: int
    error: str | None = None
    usage_total: Usage | None = None
    """With its subagents' (None from a version before subagents: then `usage`)."""
    cost_usd: float = 0.0
    cost_usd_total: float = 0.0
    """With its subagents'."""

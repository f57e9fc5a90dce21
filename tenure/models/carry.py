"""What a session hands to its next run when it continues as new (same workflow id, a
fresh history): everything a person or the model would miss if it were lost."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio.contrib.workflow_streams import WorkflowStreamState

from tenure.models.interaction import PendingQuestion, Todo
from tenure.models.io import SessionSetup
from tenure.models.messages import ContentBlock, Message, ToolUseBlock, Usage
from tenure.models.transcript import ArchivedSegment
from tenure.models.state import PendingPermission, PresentedFile, RejectedSignal, SessionState


class TurnProgress(BaseModel):
    """How far the answer to the current user message has come: the model calls made
    for it, and the tool calls of the last model reply with the results so far."""

    steps: int = 0
    """Model calls made for this user message (bounded by `max_turns`)."""
    tool_uses: list[ToolUseBlock] = Field(default_factory=list)
    results: list[ContentBlock] = Field(default_factory=list)
    """Results of `tool_uses`, in order; the next tool to run is the one at this index."""
    waiting: PendingPermission | PendingQuestion | None = None
    """A request to a person that the next tool waits on: the new run waits for the
    same request id rather than asking again."""
    context: list[str] = Field(default_factory=list)
    """What the PreToolUse hooks added for the waiting tool, given to the model with
    its result."""


class MessageEventRef(BaseModel):
    """A `message` event of the stream's tail, carried without its content: the new run
    rebuilds it from blocks `start` to `end` of the carried message at `index`."""

    turn: int
    at: str
    kind: Literal["user", "assistant", "tool_result"]
    index: int
    start: int
    end: int


class SessionCarry(BaseModel):
    """The second input of a run that continues a session. Its size is bounded by the
    model's context (see compaction), not by the session's age; a large one goes to
    the payload store like any other payload."""

    model_config = ConfigDict(extra="forbid")

    runs: int = Field(ge=1)
    """Runs before this one."""
    title: str | None
    turn: int
    usage: Usage
    messages: list[Message]
    """The conversation as the model sees it."""
    summarized: bool = False
    """The first message is a compaction's summary."""
    first_index: int = 0
    """Position of the first verbatim message among all messages ever exchanged."""
    compactions: int = 0
    earlier_replies: int = 0
    """Model replies replaced by summaries."""
    last_input_tokens: int = 0
    archive: list[ArchivedSegment] = Field(default_factory=list)
    compact_asked: list[str] | None = None
    """Instructions of a compaction asked for and not done yet."""
    inbox: list[str]
    hook_context: list[str]
    todos: list[Todo]
    presented: list[PresentedFile]
    session_rules: list[str]
    rejected: list[RejectedSignal]
    state: SessionState
    error: str | None
    setup: SessionSetup
    stream: WorkflowStreamState
    """The event stream's recent tail, its offsets and publishers: a follower goes on
    across the boundary without a gap or a repeat."""
    stream_messages: dict[int, MessageEventRef] = Field(default_factory=dict)
    """The tail's message events that `stream` carries empty, by offset (see
    tenure/workflows/stream_tail.py)."""
    progress: TurnProgress | None = None
    """Set when the run handed over in the middle of answering a user message."""
    interrupted: bool = False
    indexed_state: str | None = None
    indexed_turns: int | None = None

"""What a session hands to its next run when it continues as new (same workflow id, a
fresh history): everything a person or the model would miss if it were lost."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from temporalio.contrib.workflow_streams import WorkflowStreamState

from tenure.models.interaction import PendingQuestion, Todo
from tenure.models.io import SessionSetup
from tenure.models.messages import Message, ToolResultBlock, ToolUseBlock, Usage
from tenure.models.transcript import ArchivedSegment
from tenure.models.state import PendingPermission, PresentedFile, RejectedSignal, SessionState


class ToolCallProgress(BaseModel):
    """One tool call of the model's last reply, as far as it has come."""

    use: ToolUseBlock
    """The call, with its input as the PreToolUse hooks left it."""
    decided: bool = False
    """The hooks, the rules and the mode have had their say (and a person was asked, if
    they said so)."""
    waiting: PendingPermission | PendingQuestion | None = None
    """The request to a person the call waits on: a new run waits for the same request
    id rather than asking again."""
    context: list[str] = Field(default_factory=list)
    """What the PreToolUse hooks added, given to the model with the result."""
    hook_asked: bool = False
    """A hook asked for a person's decision (a session rule allowed meanwhile does not
    answer for that person)."""
    result: ToolResultBlock | None = None


class TurnProgress(BaseModel):
    """How far the answer to the current user message has come: the model calls made
    for it, and the tool calls of the last model reply."""

    steps: int = 0
    """Model calls made for this user message (bounded by `max_turns`)."""
    calls: list[ToolCallProgress] = Field(default_factory=list)
    # How a run before parallel tool calls carried its batch (it ran the calls one by
    # one): read into `calls`, never written.
    tool_uses: list[ToolUseBlock] = Field(default_factory=list, exclude=True)
    results: list[ToolResultBlock] = Field(default_factory=list, exclude=True)
    waiting: PendingPermission | PendingQuestion | None = Field(default=None, exclude=True)
    context: list[str] = Field(default_factory=list, exclude=True)

    @model_validator(mode="after")
    def _calls_from_sequential_batch(self) -> TurnProgress:
        """Calls from a batch that an older run carried: its results are the first calls'
        (the calls ran in order), and the call after them waited on `waiting`, if set."""
        if self.tool_uses and not self.calls:
            done = len(self.results)
            self.calls = [
                ToolCallProgress(use=use, result=self.results[i]) if i < done
                else ToolCallProgress(use=use) for i, use in enumerate(self.tool_uses)
            ]
            if self.waiting is not None and done < len(self.calls):
                call = self.calls[done]
                if isinstance(self.waiting, PendingPermission):
                    call.use = call.use.model_copy(update={"input": self.waiting.input})
                call.decided, call.waiting, call.context = True, self.waiting, self.context
        self.tool_uses, self.results, self.waiting, self.context = [], [], None, []
        return self


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
    agents_started: int = 0
    subagent_usage: Usage = Field(default_factory=Usage)
    """What the session's finished subagents used."""
    cost_usd: float = 0.0
    subagent_cost_usd: float = 0.0
    out_of_budget: bool = False
    """A turn stopped at the budget (set_budget with room resumes it)."""
    titled: bool = False
    """The session had its chance at a generated title."""

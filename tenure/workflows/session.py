"""AgentSession: the turn loop, as a durable Temporal workflow. Deterministic code only.

Call the model, run the tools it asks for (after asking a person when the permission
rules say so), feed the results back, repeat until it stops asking. Signal handlers only
enqueue; the main loop runs the turns.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import (
    RawValue,
    RetryPolicy,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporalio.contrib.workflow_streams import (
    PollInput,
    PollResult,
    PublishInput,
)
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError, TimeoutType
from temporalio.exceptions import TimeoutError as TemporalTimeout

from tenure.models import (
    AskUserQuestionInput,
    CompactRequest,
    ContentBlock,
    HookEvent,
    HookInput,
    HookResult,
    McpToolSpec,
    Message,
    ModelCallInput,
    ModelResponse,
    ModelRetryStatus,
    PendingPermission,
    PendingQuestion,
    PermissionResponse,
    PermissionRules,
    PresentedFile,
    RejectedSignal,
    SessionConfig,
    SessionOutcome,
    SessionSetup,
    SessionSetupRequest,
    SessionState,
    SessionStatus,
    StopReason,
    TextBlock,
    Todo,
    TodoWriteInput,
    ToolKind,
    ToolRequest,
    ToolResult,
    ToolResultBlock,
    ToolUseBlock,
    TranscriptPage,
    TranscriptQuery,
    Usage,
    UserAnswer,
    UserMessage,
)
from tenure.models.budget import Budget
from tenure.models.io import TitleRequest, TitleResult
from tenure.models.titles import scripted_title
from tenure.models.agents import AGENT_TOOL, AGENT_TOOL_ALIASES, SUBAGENT_ID_MARK, AgentInput
from tenure.models.carry import MessageEventRef, SessionCarry, ToolCallProgress, TurnProgress
from tenure.models.mcp import MCP_PREFIX, unavailable_reason
from tenure.models.compaction import (
    KEEP_SHARE,
    estimate_tokens,
    kept_from,
    summary_message,
    summary_request,
)
from tenure.models.events import (
    EVENTS_TOPIC,
    STREAM_POLL,
    WAIT_FOR_EVENTS,
    Continued,
    Compacted,
    ErrorReported,
    FilePresented,
    MessageAdded,
    ModelError,
    PermissionRequested,
    PermissionResolved,
    QuestionAnswered,
    QuestionAsked,
    SessionEnded,
    SessionStarted,
    StateChanged,
    SubagentEnded,
    SubagentStarted,
    ToolEnded,
    ToolStarted,
    TurnEnded,
    TurnStarted,
    UsageReported,
)
from tenure.models.catalog import context_window
from tenure.models.search import (
    TENURE_COST_USD,
    TENURE_MODEL,
    TENURE_OWNER,
    TENURE_PARENT,
    TENURE_STATE,
    TENURE_TITLE,
    TENURE_TURNS,
)
from tenure.models.transcript import (
    ArchivedSegment,
    ArchiveRequest,
    TranscriptArchive,
    transcript_page,
)
from tenure.models.validation import validation_problems
from tenure.permissions import Decision, decide, session_rule
from tenure.workflows import inbound, stream_tail, subagents
from tenure.workflows.shared import kept, shared_setup
from tenure.workflows.stream_store import SessionStream
from tenure.workflows.inbound import STREAM_PUBLISH_SIGNAL, Rejected

HEARTBEAT_TIMEOUT = timedelta(seconds=10)
"""A model call's worker that stops heartbeating for this long is taken to be dead."""
MODEL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
MODEL_OUTAGE_LIMIT = timedelta(minutes=35)
"""How long one model call may keep failing and being retried (a provider outage, a
worker without the provider's key) before the session gives up on it."""
READ_TOOL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3)
TOOL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
)
"""Tool calls are retried: a read-only tool simply runs again; a side-effecting one still
runs at most once, since its host keeps each run for the next attempt to collect
(tenure.activities.tool_runs), so a result Temporal could not receive (a server outage)
is not lost."""
# Changes that give a running session other commands than the code it started under;
# each is gated with workflow.patched so that such sessions replay as they ran.
COARSE_INDEX = "index-state-per-turn"
CHECK_INPUT = "check-input-before-asking"
FAIL_ON_ERROR = "fail-on-error-outcome"
HAND_OVER = "continue-as-new"
COMPACTION = "compaction"
PROMPT_FIRST = "prompt-before-early-messages"
"""A message that reached a session before its first workflow task goes after the first
prompt (it went before it). Asked only when there is such a message, so only those
sessions carry the marker."""
PARALLEL_TOOLS = "parallel-tool-calls"
"""The calls of one model reply are all decided first, and those that change nothing on
the host run side by side (they were decided and run one by one). Asked only for a batch
of two or more calls: for one call both ways issue the same commands."""
TITLES = "generated-titles"
"""A session without a title gets one from a small model after its first turn (a
scripted session's is made up in the workflow, with no command of its own)."""
LEAN_START = "lean-start"
"""A session started under this code (until INDEX_AT_START) has all of COARSE_INDEX,
CHECK_INPUT and FAIL_ON_ERROR, under one marker in place of three: the SDK follows each
marker with an upsert of `TemporalChangeVersion`, so that is four history events and two
visibility writes fewer at the start of each run."""
INDEX_AT_START = "index-model-with-state"
"""A session started under this code has all of LEAN_START (under this marker in its
place) and writes its model and title in the same upsert as its first state, not in an
upsert of their own: one history event and one visibility write fewer per run."""
BUSY_WHILE_MESSAGES_WAIT = "busy-while-messages-wait"
"""A session started under this code has all of INDEX_AT_START (under this marker in its
place), and goes on to its next turn without passing through `idle` when a message
already waits: its first turn when it was started with a prompt, and the turn after one
during which a message came. That `idle` lasted no time, and its upsert cost a history
event and a visibility write each time."""
HAND_OVER_EVENTS = 8_000
HAND_OVER_BYTES = 8 * 1024 * 1024
"""A run hands over to a new one when Temporal suggests it, or at the latest when its
history reaches this size (checked before each model call and while waiting): well
before the 10,240-event warning and the 51,200-event and 50 MB limits that would end
the session."""
STREAM_TAIL_ITEMS = 2_000
STREAM_TAIL_BYTES = 4 * 1024 * 1024
"""The event stream keeps at most this tail in memory (trimmed after each tool batch
and at a handover)."""
MAX_REJECTED_SIGNALS = 20
CLOSE_HOST_WAIT = timedelta(seconds=3)
PREPARE_TIMEOUT = timedelta(seconds=90)
"""Preparing a session starts its MCP servers (a browser, an `npx` download)."""
TOOL_HOST_WAIT = timedelta(seconds=5)
"""How long a session with a `tool_queue` waits for a worker there before its status
says that the tool host is offline (it goes on waiting)."""
FOLLOWER_GAP = timedelta(seconds=10)
"""A subscriber that polled the stream this recently still follows the session (it is
between two polls); model output is streamed to the stream only while one does."""
PREVIEW_CHARS = 200
TAIL_BYTES = 64 * 1024
"""A model call carries the messages added since the previous one up to this size (JSON);
beyond it, the activity reads them through the `transcript` query, which keeps the
history small."""
T = TypeVar("T")
E = TypeVar("E", bound=BaseModel)


class _HandOver(Exception):
    """The run's history is long: the session continues as new from here."""


class _SessionFailed(Exception):
    """The run cannot go on (a model request the provider refuses, retries exhausted)."""


def _timed_out(error: ActivityError, kind: TimeoutType) -> bool:
    cause = error.cause
    return isinstance(cause, TemporalTimeout) and cause.type == kind


def _never_started(error: ActivityError) -> bool:
    """Whether no attempt of the activity ever ran: the first one timed out waiting for
    a worker to take it. (When a later attempt times out so, the failure of the attempt
    that did run is the timeout's cause.)"""
    cause = error.cause
    return (
        isinstance(cause, TemporalTimeout)
        and cause.type == TimeoutType.SCHEDULE_TO_START
        and cause.cause is None
    )


def _failed_outcome(error: ChildWorkflowError) -> SessionOutcome:
    """A failed child session's outcome: the one it failed with (its usage included),
    or one made of the failure."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == "SessionError" and cause.details:
        try:
            return SessionOutcome.model_validate(cause.details[0])
        except ValidationError:
            pass
    return SessionOutcome(
        text="", stop_reason="error", usage=Usage(), turns=0, error=_failure_message(error)
    )


def _failure_message(error: ActivityError | ChildWorkflowError) -> str:
    cause = error.cause
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or error)


@workflow.defn(name="AgentSession", sandboxed=False)
class AgentSession:
    """One agent session. It runs outside Temporal's workflow sandbox: the sandbox loads
    the workflow module again for every run (about 110 KB and noticeable CPU per
    session), and this code keeps to the rules the sandbox would enforce by itself: time,
    ids and randomness only from `workflow`, no I/O, no mutable module state."""

    @workflow.init
    def __init__(self, config: Any = None, *extra: Any) -> None:
        # The input is taken as plain JSON and validated in run(), so that a config that
        # does not fit fails the workflow with a readable message instead of failing its
        # first workflow task over and over.
        carry: SessionCarry | None = None
        try:
            self._config, carry = inbound.session_input([config, *extra])
            self._invalid: ApplicationError | None = None
        except ApplicationError as e:
            self._config = SessionConfig.model_construct(model="")
            self._invalid = e
        self._carried = carry
        """What the previous run handed over, when this run continues a session."""
        self._title = carry.title if carry else self._config.display_title()
        """Worked out once: the first prompt may be long, and status asks for it often."""
        self._messages: list[Message] = carry.messages if carry else []
        self._summarized = carry.summarized if carry else False
        """The first message is a compaction's summary, not a message anyone sent."""
        self._first_index = carry.first_index if carry else 0
        """Position of the first verbatim message among all messages ever exchanged."""
        self._calls = 0
        """Model calls made by this run."""
        self._unchanged = 0
        """How many leading messages are as the last model call of this run sent them:
        the next call sends only the rest (see ModelCallInput.tail)."""
        self._compactions = carry.compactions if carry else 0
        self._earlier_replies = carry.earlier_replies if carry else 0
        self._last_input_tokens = carry.last_input_tokens if carry else 0
        """All input tokens of the last model call: what automatic compaction watches."""
        self._archive: list[ArchivedSegment] = carry.archive if carry else []
        """Where the messages compaction took out of the model's context are kept."""
        self._compact_asked: list[str] | None = carry.compact_asked if carry else None
        """Instructions of a compaction asked for (`compact` signal) and not done yet."""
        self._inbox: list[str] = carry.inbox if carry else []
        self._state = carry.state if carry else SessionState(kind="processing")
        self._state_published = carry is not None
        """Whether the stream has a StateChanged for the state (a new session's first,
        `processing` while it prepares, has none until it is set)."""
        self._turn = carry.turn if carry else 0
        self._usage = carry.usage if carry else Usage()
        self._progress: TurnProgress | None = carry.progress if carry else None
        """How far the answer to the current user message has come."""
        waiting = [c.waiting for c in self._progress.calls] if self._progress else []
        self._pending: dict[str, PendingPermission] = {
            w.request_id: w for w in waiting if isinstance(w, PendingPermission)
        }
        self._decisions: dict[str, PermissionResponse] = {}
        self._questions: dict[str, PendingQuestion] = {
            w.request_id: w for w in waiting if isinstance(w, PendingQuestion)
        }
        self._answers: dict[str, UserAnswer] = {}
        self._todos: list[Todo] = carry.todos if carry else []
        self._presented: list[PresentedFile] = carry.presented if carry else []
        self._session_rules: list[str] = carry.session_rules if carry else []
        self._rejected: list[RejectedSignal] = carry.rejected if carry else []
        self._error: str | None = carry.error if carry else None
        self._interrupted = carry.interrupted if carry else False
        self._ending = False
        self._setup: SessionSetup | None = shared_setup(carry.setup) if carry else None
        self._mcp_revision = 1 if self._setup and self._setup.mcp_tools else 0
        self._mcp_sent = 0
        """The version of the MCP tool list (it changes when a server's list does), and
        the one the last model call sent: a call carries the list only when it changed."""
        self._hook_context: list[str] = carry.hook_context if carry else []
        """Context from hooks, added to the next user message the model sees."""
        self._stream = SessionStream(carry.stream if carry else None)
        self._events = self._stream.topic(EVENTS_TOPIC)
        self._message_events: dict[int, MessageEventRef] = {}
        """The stream's large message events, by offset: how to rebuild each from the
        messages."""
        if carry:
            stream_tail.rebuild_items(
                self._stream, carry.stream_messages,
                self._messages, self._first_index, self._summarized,
            )
            self._message_events = carry.stream_messages
        # Publishes from outside (model deltas) go through on_signal, which checks them;
        # polls go through _on_stream_poll, which notes that someone follows the session.
        workflow.set_signal_handler(STREAM_PUBLISH_SIGNAL, None)
        workflow.set_update_handler(
            STREAM_POLL, self._on_stream_poll, validator=self._stream._validate_poll  # noqa: SLF001
        )
        workflow.set_update_handler(
            WAIT_FOR_EVENTS, self._wait_for_events,
            validator=lambda offset: self._stream._validate_poll(  # noqa: SLF001 - refused while handing over
                PollInput(topics=[], from_offset=offset)
            ),
        )
        self._polls = 0
        self._last_poll: datetime | None = None
        self._retry: ModelRetryStatus | None = None
        self._coarse_index = True
        self._check_input = self._fail_on_error = True
        self._may_hand_over = self._may_compact = True
        self._index_at_start = self._busy_while_messages_wait = False
        """Which gated changes this run has (see run())."""
        self._parallel = False
        """The current tool batch runs its calls side by side (see _run_batch)."""
        self._agents_started = carry.agents_started if carry else 0
        """Subagents started so far: the next one's id ends in `/agent-<this + 1>`."""
        self._subagent_usage = carry.subagent_usage if carry else kept(Usage())
        """What the finished subagents used, theirs included."""
        self._cost = carry.cost_usd if carry else 0.0
        self._subagent_cost = carry.subagent_cost_usd if carry else 0.0
        self._out_of_budget = carry.out_of_budget if carry else False
        self._titled = carry.titled if carry else False
        """The session had its chance at a generated title (after its first turn)."""
        self._title_unindexed = False
        """The title changed since TenureTitle was last written."""
        """A turn stopped at the budget: `set_budget` with room resumes it."""
        self._subagents: dict[str, workflow.ChildWorkflowHandle[Any, SessionOutcome]] = {}
        """The subagents running now, by session id."""
        self._host_lock = asyncio.Lock()
        """Held while the session moves to another host, so that calls that found the
        host gone together move it once."""
        self._indexed_state: str | None = carry.indexed_state if carry else None
        self._indexed_turns: int | None = carry.indexed_turns if carry else None
        self._indexed_cost = 0.0
        """What the search attributes say now."""
        self._unindexed: list[SearchAttributeUpdate[Any]] = []
        """Search attributes to write with the next state (see _index_session)."""

    # ---- the loop ---------------------------------------------------------------------

    @workflow.run
    async def run(self, config: Any = None, *extra: Any) -> SessionOutcome:
        # Asked once, before anything else, so that the markers sit at the start of the
        # history and a replay meets them where the code asks.
        self._busy_while_messages_wait = workflow.patched(BUSY_WHILE_MESSAGES_WAIT)
        self._index_at_start = self._busy_while_messages_wait or workflow.patched(INDEX_AT_START)
        if not self._index_at_start and not workflow.patched(LEAN_START):
            self._coarse_index = workflow.patched(COARSE_INDEX)
            self._check_input = workflow.patched(CHECK_INPUT)
            self._fail_on_error = workflow.patched(FAIL_ON_ERROR)
        if self._invalid:
            self._record_error(self._invalid.message)
            raise self._invalid
        try:
            outcome = await self._run_session(self._config)
        except _HandOver:
            await self._hand_over()
        self._publish(SessionEnded, outcome=outcome)
        # Release the stream's subscribers with the last events before the run closes.
        self._stream.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if outcome.stop_reason == "error" and self._fail_on_error:
            # Failed, as the web UI and `temporal workflow list` should show it; the
            # outcome rides along for SessionHandle.result().
            raise ApplicationError(
                outcome.error or "The session failed", outcome, type="SessionError",
                non_retryable=True,
            )
        return outcome

    async def _run_session(self, config: SessionConfig) -> SessionOutcome:
        if self._carried:
            self._publish(Continued, run_id=workflow.info().run_id)
            self._set_state(self._state)  # the web UI's current details, for this run
        else:
            try:
                self._setup = await self._prepare()
            except ActivityError as e:
                return self._fail(f"The session could not start: {_failure_message(e)}")
            self._index_session()
            for notice in self._setup.notices:
                self._publish(ErrorReported, source="session", message=notice)
            # The project's instructions go into the first user message, before the task
            # (and are not kept twice, in memory and in each handover's carry).
            self._hook_context += [i.reminder() for i in self._setup.instructions]
            self._setup.instructions, self._setup.notices = [], []
            self._publish(
                SessionStarted,
                model=config.model,
                title=self._title,
                mode=config.mode,
                workspace=self._workspace,
            )
            if config.prompt:
                if self._inbox and workflow.patched(PROMPT_FIRST):
                    self._inbox.insert(0, config.prompt)  # before any message sent meanwhile
                else:
                    self._inbox.append(config.prompt)
            if started := await self._hook("SessionStart"):
                self._hook_context += started.additional_context

        stop_reason: StopReason = "end_turn"
        while True:
            if self._progress is None:
                if self._error is None and not (self._inbox and self._busy_while_messages_wait):
                    self._set_state(SessionState(kind="idle"))
                await workflow.wait_condition(
                    lambda: bool(self._inbox)
                    or self._ending
                    or self._hand_over_due()
                    or self._compact_asked is not None
                    or self._budget_raised()
                )
                if self._ending:
                    stop_reason = "ended"
                    break
                await self._compact_if_due()
                self._hand_over_if_due()
                if not self._inbox and not self._budget_raised():
                    continue
            try:
                stop_reason = await self._run_turns()
            except _SessionFailed as e:
                if config.mode == "autonomous":
                    await self._close()
                    return self._fail(str(e), source="model")
                self._record_error(str(e), source="model")
                continue
            await self._name_session()
            await self._hook("TurnComplete")
            if self._ending:
                stop_reason = "ended"
                break
            if config.mode == "autonomous" and (stop_reason == "budget" or not self._inbox):
                break
        await self._close()
        self._set_state(SessionState(kind="done"))
        return self._outcome(stop_reason)

    # ---- titles ---------------------------------------------------------------------------

    async def _name_session(self) -> None:
        """After the first turn of a session that was given no title: a short one, from
        a small model (status.title, TenureTitle, the web UI's details). A session from
        before generated titles, or one at its budget, keeps the first prompt's line."""
        if self._titled or self._config.title or self._budget_spent():
            return
        self._titled = True
        prompt = next((m.text for m in self._messages if m.role == "user" and m.text), "")
        reply = next((m.text for m in self._messages if m.role == "assistant" and m.text), "")
        if not prompt:
            return
        if self._config.model.startswith("scripted:"):  # no model to ask, nor commands
            self._retitle(scripted_title(prompt))
            return
        if not workflow.patched(TITLES):
            return
        try:
            named: TitleResult = await workflow.execute_activity(
                "generate_title",
                TitleRequest(session_id=workflow.info().workflow_id, model=self._config.model,
                             prompt=prompt, reply=reply),
                result_type=TitleResult,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=READ_TOOL_RETRY,
                summary="title",
            )
        except ActivityError as e:
            workflow.logger.warning("No title for the session: %s", _failure_message(e))
            return
        if named.title:
            self._retitle(named.title)

    def _retitle(self, title: str) -> None:
        """The session's title from now on; TenureTitle follows with the next change of
        state (in the upsert that writes it, not one of its own)."""
        self._title = title
        self._title_unindexed = True

    # ---- continuing as new ----------------------------------------------------------------

    def _hand_over_due(self) -> bool:
        """Whether this run's history is long enough to go on in a new run: Temporal
        suggests it, or it nears the limits that would end the session."""
        if not self._may_hand_over:
            return False
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= HAND_OVER_EVENTS
            or info.get_current_history_size() >= HAND_OVER_BYTES
        )

    def _hand_over_if_due(self) -> None:
        """Continue as new here if it is due (a point with no activity in flight).
        A run that started before sessions could continue as new replays as it ran."""
        if self._hand_over_due():
            if workflow.patched(HAND_OVER):
                raise _HandOver
            self._may_hand_over = False

    async def _hand_over(self) -> NoReturn:
        """Continue as new with everything the session holds; the event stream keeps a
        tail of recent events and its offsets, so its followers go on seamlessly."""
        self._trim_stream()
        self._stream.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._setup is not None  # a session hands over only once it has started
        stream = self._stream.get_state()
        carry = SessionCarry(
            runs=(self._carried.runs if self._carried else 0) + 1,
            title=self._title,
            turn=self._turn,
            usage=self._usage,
            messages=self._messages,
            summarized=self._summarized,
            first_index=self._first_index,
            compactions=self._compactions,
            earlier_replies=self._earlier_replies,
            last_input_tokens=self._last_input_tokens,
            compact_asked=self._compact_asked,
            archive=self._archive,
            inbox=self._inbox,
            hook_context=self._hook_context,
            todos=self._todos,
            presented=self._presented,
            session_rules=self._session_rules,
            rejected=self._rejected,
            state=self._state,
            error=self._error,
            setup=self._setup,
            stream=stream,
            stream_messages=stream_tail.slim_state(
                stream, self._message_events,
                self._messages, self._first_index, self._summarized,
            ),
            progress=self._progress,
            interrupted=self._interrupted,
            indexed_state=self._indexed_state,
            indexed_turns=self._indexed_turns,
            agents_started=self._agents_started,
            subagent_usage=self._subagent_usage,
            cost_usd=self._cost,
            subagent_cost_usd=self._subagent_cost,
            out_of_budget=self._out_of_budget,
            titled=self._titled,
        )
        config = self._config.model_copy(update={"prompt": None})
        workflow.logger.info("Continuing as new after %d turns", self._turn)
        workflow.continue_as_new(args=[config.model_dump(mode="json"), carry])

    def _trim_stream(self) -> None:
        """Keep only a tail of the event stream in memory: at most STREAM_TAIL_ITEMS
        events and about STREAM_TAIL_BYTES (a follower further behind reads the
        transcript instead)."""
        sizes = [item.data.ByteSize() for item in self._stream._log]  # noqa: SLF001
        kept_bytes, drop = sum(sizes), 0
        while len(sizes) - drop > 1 and (
            len(sizes) - drop > STREAM_TAIL_ITEMS or kept_bytes > STREAM_TAIL_BYTES
        ):
            kept_bytes -= sizes[drop]
            drop += 1
        if drop:
            base = self._stream._base_offset + drop  # noqa: SLF001
            self._stream.truncate(base)
            self._message_events = {o: r for o, r in self._message_events.items() if o >= base}

    async def _prepare(self) -> SessionSetup:
        """Ask a worker to check the session's workspace, tools and rules and to connect
        its MCP servers; that worker becomes the session's host, where its tools run.
        With a `tool_queue`, only a worker there may: while none is, the status says so
        and the session waits."""
        config = self._config
        request = SessionSetupRequest(
            workspace=config.workspace,
            additional_directories=config.additional_directories,
            tools=config.tools,
            rules=config.permissions,
            session_id=workflow.info().workflow_id,
            mcp_servers=config.mcp_servers,
        )
        if config.tool_queue is None:
            return await self._prepare_on(request)
        try:
            return await self._prepare_on(
                request, task_queue=config.tool_queue, schedule_to_start_timeout=TOOL_HOST_WAIT
            )
        except ActivityError as e:
            if not _never_started(e):
                raise
        was = self._state
        message = f"The tool host is offline: no worker serves task queue {config.tool_queue}; waiting for one"
        self._publish(ErrorReported, source="session", message=message)
        self._set_state(was.model_copy(update={"message": message}))
        setup = await self._prepare_on(request, task_queue=config.tool_queue)
        self._set_state(was)
        return setup

    async def _prepare_on(self, request: SessionSetupRequest, **options: Any) -> SessionSetup:
        """Prepare the session on a worker; its MCP tool list is a new version, and each
        server that did not come up is reported."""
        setup: SessionSetup = await workflow.execute_activity(
            "prepare_session",
            request,
            result_type=SessionSetup,
            start_to_close_timeout=PREPARE_TIMEOUT,
            retry_policy=READ_TOOL_RETRY,
            summary="prepare session",
            **options,
        )
        setup = shared_setup(setup)
        if setup.mcp_tools != (self._setup.mcp_tools if self._setup else []):
            self._mcp_revision += 1
        for server in setup.mcp_servers:
            if server.error:
                self._publish(ErrorReported, source="session", message=server.error)
        return setup

    async def _move_host(self) -> bool:
        """The host did not take a tool call in time: it is gone. Prepare the session on
        another worker, which becomes the host. False when none can."""
        lost = self._setup.host_queue if self._setup else None
        try:
            self._setup = await self._prepare()
        except ActivityError as e:
            self._publish(
                ErrorReported, source="session",
                message=f"The session's worker is gone and no other can host it: "
                f"{_failure_message(e)}",
            )
            return False
        message = (f"The session's worker ({lost}) is gone; its tools now run on "
                   f"{self._setup.host_queue}. Background jobs started there are lost.")
        workflow.logger.warning(message)
        self._publish(ErrorReported, source="session", message=message)
        return True

    async def _close(self) -> None:
        """SessionEnd hooks, then release the session's background jobs on its host."""
        await self._hook("SessionEnd")
        try:
            await workflow.execute_activity(
                "close_session",
                workflow.info().workflow_id,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=READ_TOOL_RETRY,
                summary="close session",
                **{**self._on_host(), **self._close_wait()},
            )
        except ActivityError as e:  # the host is gone, and its jobs with its process
            workflow.logger.warning("Could not close the session's jobs: %s", _failure_message(e))

    async def _run_turns(self) -> StopReason:
        """Answer the queued user messages: model calls and tool batches until the model
        stops asking for tools, max_turns is reached, or a person interrupts. A run that
        continues a session goes on where the previous one handed over."""
        if self._progress is None:
            self._interrupted = False
            self._error = None
            resuming, self._out_of_budget = self._out_of_budget, False
            prompts = await self._submit_prompts()
            if not prompts and not resuming:
                return "end_turn"
            self._add_user_content(prompts, "user")
            self._progress = TurnProgress()
        try:
            stop_reason = await self._go_on(self._progress)
        except _HandOver:
            raise
        except BaseException:
            self._progress = None
            raise
        self._progress = None
        return stop_reason

    async def _go_on(self, progress: TurnProgress) -> StopReason:
        while True:
            if not progress.calls:
                if progress.steps >= self._config.max_turns:
                    workflow.logger.info(
                        "Stopped after %d model calls (max_turns)", self._config.max_turns
                    )
                    return "max_turns"
                if spent := self._budget_spent():
                    return self._stop_at_budget(spent)
                await self._compact_if_due()
                self._hand_over_if_due()
                progress.steps += 1
                self._turn += 1
                self._publish(TurnStarted)
                self._set_state(SessionState(kind="processing"))
                response = await self._call_model()
                if response is None:
                    self._publish(TurnEnded, stop_reason="interrupted")
                    return "interrupted"
                self._messages.append(response.message)
                self._publish_message("assistant", start=0)
                self._count_usage(response)
                if answered := await self._hook(
                    "PostAssistantResponse", assistant_text=response.message.text
                ):
                    self._hook_context += answered.additional_context
                tool_uses = response.message.tool_uses
                if not tool_uses:
                    self._publish(TurnEnded, stop_reason=response.stop_reason or "end_turn")
                    return "max_tokens" if response.stop_reason == "max_tokens" else "end_turn"
                progress.calls = [ToolCallProgress(use=use) for use in tool_uses]
            results = await self._run_batch(progress.calls)
            progress.calls = []
            await self._hook("PostToolBatch")
            self._add_user_content(results, "tool_result")
            # Messages that arrived during the batch steer the next model call.
            self._add_user_content(await self._submit_prompts(), "user")
            self._trim_stream()
            if self._interrupted or self._ending:
                self._publish(TurnEnded, stop_reason="interrupted")
                return "interrupted"
            self._publish(TurnEnded, stop_reason="tool_use")

    async def _submit_prompts(self) -> list[ContentBlock]:
        """The queued user messages as content blocks, each through the UserPromptSubmit
        hooks (which may block, rewrite or add context), with pending hook context first.
        Empty when no message survives."""
        prompts: list[ContentBlock] = []
        for text in self._take_inbox():
            hook = await self._hook("UserPromptSubmit", prompt=text)
            if hook and hook.decision == "deny":
                self._error = f"A hook blocked the message: {hook.reason or 'no reason given'}"
                workflow.logger.warning(self._error)
                self._publish(ErrorReported, source="hook", message=self._error)
                continue
            if hook and hook.updated_prompt is not None:
                text = hook.updated_prompt
            prompts.append(TextBlock(text=text))
            prompts += [TextBlock(text=c) for c in (hook.additional_context if hook else [])]
        if not prompts:
            return []
        context: list[ContentBlock] = [TextBlock(text=c) for c in self._hook_context]
        self._hook_context = []
        return context + prompts

    async def _hook(self, event: HookEvent, **fields: Any) -> HookResult | None:
        """Run the worker's hooks for an event, or nothing (no round trip) when none is
        registered for it. A hook that fails is logged; before a tool it blocks the call."""
        tool_name = fields.get("tool_name")
        if not self._setup or not any(h.applies(event, tool_name) for h in self._setup.hooks):
            return None
        try:
            result: HookResult = await workflow.execute_activity(
                "run_hooks",
                HookInput(
                    event=event,
                    session_id=workflow.info().workflow_id,
                    workspace=self._workspace,
                    turn=self._turn,
                    permission_mode=self._config.permission_mode,
                    **fields,
                ),
                result_type=HookResult,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=READ_TOOL_RETRY,
                summary=f"hooks · {event}" + (f" · {tool_name}" if tool_name else ""),
            )
        except ActivityError as e:
            workflow.logger.warning("%s hooks failed: %s", event, _failure_message(e))
            if event != "PreToolUse":
                return None
            return HookResult(decision="deny", reason=f"a hook failed: {_failure_message(e)}")
        return result

    # ---- compaction -----------------------------------------------------------------------

    def _compact_due(self) -> Literal["auto", "manual"] | None:
        if self._compact_asked is not None:
            return "manual"
        settings = self._config.compaction
        window = settings.context_window or context_window(self._config.model)
        if settings.auto and self._last_input_tokens >= settings.at * window:
            return "auto"
        return None

    async def _compact_if_due(self) -> None:
        """Compact before the next model call when the last one's input passed the
        threshold, or when someone asked for it. A run that started before sessions
        could compact replays as it ran."""
        trigger = self._compact_due() if self._may_compact else None
        if trigger is None or self._budget_spent():
            return
        if not workflow.patched(COMPACTION):
            self._may_compact = False
            return
        instructions, self._compact_asked = self._compact_asked or [], None
        try:
            await self._compact(trigger, instructions)
        finally:
            self._last_input_tokens = 0  # measured again by the next model call

    async def _compact(self, trigger: Literal["auto", "manual"], instructions: list[str]) -> None:
        """The model summarizes the conversation; the summary and the most recent turns
        (verbatim) replace it in the model's context. The prefix (system prompt, tools)
        is untouched, so the prompt cache keeps hitting."""
        hook = await self._hook(
            "PreCompact", trigger=trigger, custom_instructions="\n".join(instructions) or None
        )
        if hook and hook.decision == "deny":
            self._compaction_skipped(f"a hook blocked it: {hook.reason or 'no reason given'}")
            return
        instructions = [*instructions, *(hook.additional_context if hook else [])]
        start = 1 if self._summarized else 0
        window = self._config.compaction.context_window or context_window(self._config.model)
        keep = kept_from(self._messages, start, int(window * KEEP_SHARE))
        if keep is None:
            self._compaction_skipped("there is nothing to compact yet")
            return
        before = self._last_input_tokens
        self._set_state(SessionState(kind="processing"))
        try:
            response = await self._call_model(summary_request(self._todos, instructions))
        except _SessionFailed as e:
            self._compaction_skipped(str(e))
            return
        if response is None:
            return  # interrupted
        self._count_usage(response)
        summary = response.message.text.strip()
        if not summary:
            self._compaction_skipped("the model wrote no summary")
            return
        replaced = self._messages[start:keep]
        try:
            self._archive.append(await self._archived(replaced))
        except ActivityError as e:
            self._compaction_skipped(
                f"the replaced messages could not be kept: {_failure_message(e)}"
            )
            return
        self._messages = [summary_message(summary), *self._messages[keep:]]
        self._unchanged = 0
        self._summarized = True
        self._first_index += len(replaced)
        self._compactions += 1
        self._earlier_replies += sum(1 for m in replaced if m.role == "assistant")
        self._publish(
            Compacted,
            before_tokens=before,
            after_tokens=estimate_tokens(self._messages),
            replaced_messages=len(replaced),
        )
        await self._hook("PostCompact", trigger=trigger, summary=summary)

    async def _archived(self, messages: list[Message]) -> ArchivedSegment:
        """Keep messages that leave the model's context in the payload store, where
        `SessionHandle.transcript(full=True)` reads them."""
        segment: ArchivedSegment = await workflow.execute_activity(
            "archive_messages",
            ArchiveRequest(
                session_id=workflow.info().workflow_id,
                first_index=self._first_index,
                messages=messages,
            ),
            result_type=ArchivedSegment,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=TOOL_RETRY,
            summary=f"archive {len(messages)} messages",
        )
        return segment

    def _compaction_skipped(self, why: str) -> None:
        message = f"The conversation was not compacted: {why}"
        workflow.logger.warning(message)
        self._publish(ErrorReported, source="session", message=message)

    def _index(self, position: int) -> int:
        """A message's index among all messages ever exchanged, from its position in
        the model's context."""
        return self._first_index + position - (1 if self._summarized else 0)

    def _count_usage(self, response: ModelResponse) -> None:
        usage = response.usage
        self._usage += usage
        self._cost += response.cost_usd
        self._last_input_tokens = (
            usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
        )
        self._publish(
            UsageReported, usage=usage, total=self._usage, cost_usd=response.cost_usd,
            cost_usd_total=self._cost + self._subagent_cost,
        )

    # ---- budget ----------------------------------------------------------------------------

    def _budget_spent(self) -> str | None:
        """What of the session tree's budget is used up, in a sentence, or None."""
        return self._config.budget.reached(
            self._cost + self._subagent_cost, self._usage + self._subagent_usage
        )

    def _budget_raised(self) -> bool:
        """A turn stopped at the budget, and the budget now has room."""
        return self._out_of_budget and self._budget_spent() is None

    def _stop_at_budget(self, spent: str) -> StopReason:
        """No further model call: the turn stops; `set_budget` with room resumes it."""
        message = f"The session stopped at its budget: {spent}. Raise it with set_budget to go on."
        workflow.logger.info(message)
        self._publish(ErrorReported, source="session", message=message)
        self._publish(TurnEnded, stop_reason="budget")
        self._out_of_budget = True
        return "budget"

    # ---- model calls --------------------------------------------------------------------

    async def _call_model(self, summary_request: str | None = None) -> ModelResponse | None:
        model = self._config.model
        label = model.removeprefix("anthropic:")
        if summary_request is not None:
            label = f"{label} · compact"
        self._calls += 1
        tail: list[Message] | None = self._messages[self._unchanged:]
        if sum(len(m.model_dump_json()) for m in tail or ()) > TAIL_BYTES:
            tail = None
        handle: workflow.ActivityHandle[ModelResponse] = workflow.start_activity(
            "model_call",
            ModelCallInput(
                session_id=workflow.info().workflow_id,
                run_id=workflow.info().run_id,
                transcript_length=len(self._messages),
                workspace=self._workspace,
                model=model,
                system_prompt=self._config.system_prompt,
                append_system_prompt=self._config.append_system_prompt,
                thinking=self._config.thinking,
                tools=self._config.tools,
                max_tokens=self._config.max_tokens,
                turn=self._turn,
                mcp_tools=self._mcp_tools_to_send(),
                mcp_tools_revision=self._mcp_revision,
                compactions=self._compactions,
                earlier_replies=self._earlier_replies,
                summary_request=summary_request,
                agents=subagents.own_types(self._config, self._setup)
                if AGENT_TOOL in self._config.tools else {},
                stream_output=summary_request is None and self._followed(),
                revision=self._calls,
                tail=tail,
                tail_from=self._unchanged,
                tail_base=self._calls - 1,
            ),
            result_type=ModelResponse,
            start_to_close_timeout=timedelta(minutes=10),
            schedule_to_close_timeout=MODEL_OUTAGE_LIMIT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=MODEL_RETRY,
            summary=f"{label} · turn {self._turn}",
        )
        self._unchanged = len(self._messages)
        try:
            return await self._unless_interrupted(handle)
        except ActivityError as e:
            if _timed_out(e, TimeoutType.SCHEDULE_TO_CLOSE):
                last = f": {self._retry.message}" if self._retry else ""
                minutes = int(MODEL_OUTAGE_LIMIT.total_seconds() // 60)
                raise _SessionFailed(
                    f"Model call failed: gave up after {minutes} minutes of retries{last}"
                ) from e
            raise _SessionFailed(f"Model call failed: {_failure_message(e)}") from e
        finally:
            self._retry = None

    # ---- tools --------------------------------------------------------------------------

    async def _run_batch(self, calls: list[ToolCallProgress]) -> list[ContentBlock]:
        """The tool calls of one model reply, to their results in the reply's order.

        Every call is decided first (hooks, rules, mode; a person is asked where they say
        so). Then consecutive calls that change nothing on the host run side by side, and
        every other call on its own, in the reply's order: a call waiting for a person
        holds back only itself and the calls after its group. A session from before
        parallel calls decided and ran each call in turn, and replays so."""
        open_calls = [c for c in calls if c.result is None]
        self._parallel = len(open_calls) > 1 and workflow.patched(PARALLEL_TOOLS)
        if self._parallel:
            for call in open_calls:
                await self._decide(call)
            for group in self._groups(open_calls):
                await self._settle(group, calls)
        else:
            for call in open_calls:
                await self._decide(call)
                await self._settle([call], calls)
        return [c.result for c in calls if c.result is not None]

    def _groups(self, calls: list[ToolCallProgress]) -> list[list[ToolCallProgress]]:
        """Consecutive calls of tools that change nothing on the host form one group;
        every other call is a group of its own."""
        setup = self._setup
        side_by_side = {t.name for t in setup.tools if t.concurrent} | {
            t.name for t in setup.mcp_tools if t.kind == "read"  # marked read-only
        } if setup else set()
        groups: list[list[ToolCallProgress]] = []
        for call in calls:
            if groups and call.use.name in side_by_side and groups[-1][-1].use.name in side_by_side:
                groups[-1].append(call)
            else:
                groups.append([call])
        return groups

    async def _settle(self, group: list[ToolCallProgress], batch: list[ToolCallProgress]) -> None:
        """Run a group's calls to their results, side by side. If the history grows long
        while every call left waits for a person, the session continues as new there
        (a person may take days to answer); the new run waits for the same requests."""
        tasks = [asyncio.create_task(self._finish(call, batch)) for call in group if call.result is None]
        while tasks:
            await workflow.wait_condition(
                lambda: all(t.done() for t in tasks)
                or (self._hand_over_due() and all(map(self._parked, group)))
            )
            if all(t.done() for t in tasks):
                break
            try:
                self._hand_over_if_due()
            except _HandOver:
                for task in tasks:
                    task.cancel()
                raise
        for task in tasks:
            task.result()  # a call's own failure, if any, fails here

    def _parked(self, call: ToolCallProgress) -> bool:
        """Whether a call has its result, or waits for a person who has not answered."""
        if call.result is not None:
            return True
        waiting = call.waiting
        return (
            waiting is not None
            and waiting.request_id not in self._decisions
            and waiting.request_id not in self._answers
            and not (self._interrupted or self._ending)
        )

    async def _decide(self, call: ToolCallProgress) -> None:
        """Announce a call, then run its PreToolUse hooks and check it against the rules
        and the mode: it is refused (and has its result), allowed, or waits for a
        person's decision (`call.waiting`)."""
        if call.decided:
            return
        call.decided = True
        if call.use.name in AGENT_TOOL_ALIASES:  # `Task` is Claude Code's older name
            call.use = call.use.model_copy(update={"name": AGENT_TOOL})
        use = call.use
        self._publish(
            ToolStarted, tool_use_id=use.id, tool_name=use.name, input=use.input,
            summary=use.summary(),
        )
        if self._interrupted or self._ending:
            return self._end(call, "Interrupted by the user before this tool ran.")
        kind = self._tool_kinds().get(use.name)
        if kind is None:
            return self._end(call, self._unavailable(use.name))
        hook = await self._hook(
            "PreToolUse", tool_name=use.name, tool_use_id=use.id, tool_input=use.input
        )
        if hook and hook.decision == "deny":
            return self._end(call, f"Blocked by a hook: {hook.reason or 'no reason given'}")
        if hook and hook.updated_input is not None:
            use = call.use = use.model_copy(update={"input": hook.updated_input})
        call.context = hook.additional_context if hook else []
        decision = self._decision(use, kind)
        if hook and hook.decision and decision.verdict != "deny":
            # A hook may ask or allow, but never overrides a deny.
            decision = Decision(hook.decision, hook.reason or f"a hook said {hook.decision}")
            call.hook_asked = hook.decision == "ask"
        if decision.verdict == "deny":
            return self._end(call, f"Permission denied: {decision.reason}.")
        if decision.verdict == "ask":
            if self._check_input and (problem := await self._input_problem(use)):
                return self._end(call, problem)
            asked = await self._hook(
                "PermissionRequest", tool_name=use.name, tool_use_id=use.id, tool_input=use.input
            )
            if asked and asked.decision == "deny":
                return self._end(call, f"Denied by a hook: {asked.reason or 'no reason given'}")
            if asked and asked.decision == "allow":
                return
            call.waiting = self._ask_permission(use, decision.reason)
            await self._hook("Notification", message=f"{use.name} needs your permission: {use.summary()}")

    def _decision(self, use: ToolUseBlock, kind: ToolKind) -> Decision:
        """What the rules and the mode say of a call."""
        return decide(
            tool_name=use.name,
            tool_input=use.input,
            kind=kind,
            mode=self._config.permission_mode,
            rules=self._rules(),
            workspace=self._workspace,
        )

    async def _finish(self, call: ToolCallProgress, batch: list[ToolCallProgress]) -> None:
        """A decided call to its result: the person's decision if it waits for one, the
        tool itself, then the hooks that see its result."""
        if isinstance(call.waiting, PendingPermission):
            refusal = await self._approved(call)
            if refusal is not None:
                return self._end(call, refusal, batch)
        elif self._parallel and call.waiting is None and (self._interrupted or self._ending):
            return self._end(call, "Interrupted by the user before this tool ran.", batch)
        use = call.use
        if use.name == "TodoWrite":
            result = self._write_todos(use)
        elif use.name == "AskUserQuestion":
            result = await self._ask_user(call)
        elif use.name == AGENT_TOOL:
            result = await self._delegate(use, batch)
        else:
            result = await self._execute_tool(use, self._tool_kinds()[use.name], batch)
        context, call.context = call.context, []
        if after := await self._hook(
            "PostToolUseFailure" if result.is_error else "PostToolUse",
            tool_name=use.name,
            tool_use_id=use.id,
            tool_input=use.input,
            tool_output=result.content,
        ):
            if after.updated_output is not None:
                result.content = after.updated_output
            context = [*context, *after.additional_context]
        if context:
            result.content = "\n\n".join([result.content, *context])
        self._end(call, result, batch)

    def _end(
        self, call: ToolCallProgress, result: ToolResultBlock | str,
        batch: list[ToolCallProgress] | None = None,
    ) -> None:
        """A call's result (a string is an error the model sees), announced. In a
        parallel batch, the state then shows a call still waiting for a person, if any."""
        if isinstance(result, str):
            result = self._tool_result(call.use, result, True)
        call.result = result
        self._publish(
            ToolEnded,
            tool_use_id=call.use.id,
            tool_name=call.use.name,
            is_error=result.is_error,
            preview=result.content[:PREVIEW_CHARS],
        )
        if self._parallel and batch and (state := self._waiting_state(batch)):
            self._set_state(state)

    def _waiting_state(self, batch: list[ToolCallProgress]) -> SessionState | None:
        """The state of a batch's first call that waits for a person, if any."""
        for call in batch:
            if call.result is None and self._parked(call):
                waiting = call.waiting
                if isinstance(waiting, PendingPermission):
                    return SessionState(
                        kind="waiting_for_permission", request_id=waiting.request_id,
                        tool_name=waiting.tool_name, tool_use_id=waiting.tool_use_id,
                    )
                if isinstance(waiting, PendingQuestion):
                    return SessionState(kind="waiting_for_user_input", request_id=waiting.request_id)
        return None

    async def _approved(self, call: ToolCallProgress) -> str | None:
        """Wait for a person's decision on the call: None when it may run, else why not."""
        pending = call.waiting
        assert isinstance(pending, PendingPermission)
        await self._wait_for_person(lambda: pending.request_id in self._decisions)
        call.waiting = None
        del self._pending[pending.request_id]
        response = self._decisions.pop(pending.request_id, None)
        self._publish(
            PermissionResolved,
            request_id=pending.request_id,
            **(response.model_dump(exclude={"request_id"}) if response else {"decision": "interrupted"}),
        )
        if response is None:
            return "Interrupted by the user while awaiting approval."
        if response.decision == "deny":
            why = f": {response.reason}" if response.reason else "."
            return f"The user denied this {call.use.name} call{why}"
        if response.scope == "session":
            self._session_rules.append(session_rule(call.use.name, call.use.input))
            self._allow_by_new_rule(response)
        return None

    def _allow_by_new_rule(self, given: PermissionResponse) -> None:
        """Answer the batch's other requests that a rule just allowed for the session
        covers, as the person who allowed it would (not those a hook asked)."""
        for other in self._progress.calls if self._progress else []:
            waiting = other.waiting
            if (
                isinstance(waiting, PendingPermission)
                and waiting.request_id not in self._decisions
                and not other.hook_asked
                and (kind := self._tool_kinds().get(other.use.name))
                and self._decision(other.use, kind).verdict == "allow"
            ):
                self._decisions[waiting.request_id] = PermissionResponse(
                    request_id=waiting.request_id, decision="allow", scope="once",
                    reason="a rule allowed for this session covers it",
                    decided_by=given.decided_by,
                )

    async def _wait_for_person(self, answered: Callable[[], bool]) -> None:
        """Wait until `answered()`, an interrupt or the end (meanwhile _settle may
        continue the session as new)."""
        await workflow.wait_condition(lambda: answered() or self._interrupted or self._ending)

    # ---- tools the workflow handles itself ----------------------------------------------

    async def _delegate(self, use: ToolUseBlock, batch: list[ToolCallProgress]) -> ToolResultBlock:
        """The `Agent` tool: a subagent, as a child session `<id>/agent-<n>`, whose final
        text is the result. Interrupting or ending this session ends it."""
        assert self._setup is not None
        try:
            task = AgentInput.model_validate(use.input)
        except ValidationError as e:
            return self._tool_result(use, f"Invalid input for Agent: {validation_problems(e)}", True)
        session_id = workflow.info().workflow_id
        depth, limit = session_id.count(SUBAGENT_ID_MARK), self._setup.policy.max_agent_depth
        if depth >= limit:
            return self._tool_result(use, (
                f"Subagents may nest at most {limit} deep on this worker, and this session "
                f"is at depth {depth}: do this task yourself."), True)
        types = subagents.agent_types(self._config, self._setup)
        kind = task.subagent_type or subagents.DEFAULT_TYPE
        if kind not in types:
            return self._tool_result(use, (
                f"Unknown subagent_type {kind!r}; available: {', '.join(sorted(types))}."), True)
        try:
            side_by_side = sum(1 for c in batch if c.use.name == AGENT_TOOL and c.result is None)
            config = subagents.child_config(
                self._config, self._setup, self._session_rules, types[kind], task,
                may_delegate=depth + 1 < limit,
                budget=self._config.budget.share(
                    self._cost + self._subagent_cost, self._usage + self._subagent_usage,
                    max(side_by_side, 1),
                ),
            )
        except ValueError as e:
            return self._tool_result(use, f"Subagent type {kind!r} cannot start: {e}", True)
        self._agents_started += 1
        child_id = f"{session_id}{SUBAGENT_ID_MARK}{self._agents_started}"
        await self._hook("SubagentStart", agent_id=child_id, agent_type=kind)
        outcome = await self._run_subagent(child_id, kind, config, batch)
        self._subagent_usage += outcome.usage_total or outcome.usage
        self._subagent_cost += outcome.cost_usd_total or outcome.cost_usd
        self._publish(SubagentEnded, session_id=child_id, stop_reason=outcome.stop_reason)
        await self._hook("SubagentStop", agent_id=child_id, agent_type=kind)
        if outcome.stop_reason == "error":
            return self._tool_result(use, f"The subagent failed: {outcome.error}", True)
        if outcome.stop_reason == "ended":
            said = f" Its last words: {outcome.text}" if outcome.text else ""
            return self._tool_result(use, f"Interrupted by the user: the subagent was stopped.{said}", True)
        return self._tool_result(use, outcome.text or "(The subagent finished without a reply.)", False)

    async def _run_subagent(
        self, child_id: str, kind: str, config: SessionConfig, batch: list[ToolCallProgress]
    ) -> SessionOutcome:
        """Start the child session and wait for its outcome (asking it to end on an
        interrupt or at this session's end)."""
        known = self._setup.search_attributes if self._setup else []
        attributes = [SearchAttributePair(TENURE_PARENT, workflow.info().workflow_id)]
        if owner := workflow.info().typed_search_attributes.get(TENURE_OWNER):
            attributes.append(SearchAttributePair(TENURE_OWNER, owner))  # its parent's owner
        self._publish(
            SubagentStarted, session_id=child_id, subagent_type=kind,
            description=config.title or "",
        )
        handle = await workflow.start_child_workflow(
            "AgentSession",
            config.model_dump(mode="json", exclude_defaults=True),
            id=child_id,
            task_queue=workflow.info().task_queue,
            result_type=SessionOutcome,
            parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
            search_attributes=TypedSearchAttributes(
                [a for a in attributes if a.key.name in known]
            ),
            static_summary=(config.title or "subagent")[:200],
            memo={"title": (config.title or "subagent")[:200]},
        )
        self._subagents[child_id] = handle
        if not (self._parallel and self._waiting_state(batch)):
            self._set_state(SessionState(kind="waiting_for_subagent", session_id=child_id))
        try:
            await workflow.wait_condition(lambda: handle.done() or self._interrupted or self._ending)
            if not handle.done():
                await handle.signal("end_session")
            try:
                outcome: SessionOutcome = await handle
            except ChildWorkflowError as e:
                return _failed_outcome(e)
            return outcome
        finally:
            del self._subagents[child_id]

    def _write_todos(self, use: ToolUseBlock) -> ToolResultBlock:
        try:
            self._todos = TodoWriteInput.model_validate(use.input).todos
        except ValidationError as e:
            return self._tool_result(use, f"Invalid input for TodoWrite: {validation_problems(e)}", True)
        return self._tool_result(
            use, "Todos updated. Keep them current as you work through the tasks.", False
        )

    async def _ask_user(self, call: ToolCallProgress) -> ToolResultBlock:
        use = call.use
        try:
            questions = AskUserQuestionInput.model_validate(use.input).questions
        except ValidationError as e:
            return self._tool_result(use, f"Invalid input for AskUserQuestion: {validation_problems(e)}", True)
        pending = call.waiting
        if not isinstance(pending, PendingQuestion):
            pending = PendingQuestion(
                request_id=str(workflow.uuid4()), tool_use_id=use.id, questions=questions
            )
            self._questions[pending.request_id] = pending
            self._publish(QuestionAsked, **pending.model_dump())
            self._set_state(
                SessionState(kind="waiting_for_user_input", request_id=pending.request_id)
            )
            await self._hook("Notification", message=f"The agent asks: {questions[0].question}")
        request_id = pending.request_id
        call.waiting = pending
        await self._wait_for_person(lambda: request_id in self._answers)
        call.waiting = None
        del self._questions[request_id]
        answer = self._answers.pop(request_id, None)
        self._publish(
            QuestionAnswered,
            request_id=request_id,
            **(answer.model_dump(exclude={"request_id"}) if answer else {"answers": None}),
        )
        if answer is None:
            return self._tool_result(use, "Interrupted by the user before answering.", True)
        lines = [
            f'"{q.question}" = "{answer.answers.get(q.question, "(no answer)")}"' for q in questions
        ]
        return self._tool_result(use, "The user answered:\n" + "\n".join(lines), False)

    def _ask_permission(self, use: ToolUseBlock, reason: str) -> PendingPermission:
        """Ask a person whether `use` may run (the request waits in status and on the
        event stream)."""
        pending = PendingPermission(
            request_id=str(workflow.uuid4()),
            tool_name=use.name,
            tool_use_id=use.id,
            input=use.input,
            reason=reason,
        )
        self._pending[pending.request_id] = pending
        self._publish(PermissionRequested, **pending.model_dump())
        self._set_state(
            SessionState(
                kind="waiting_for_permission",
                request_id=pending.request_id,
                tool_name=use.name,
                tool_use_id=use.id,
            )
        )
        return pending

    async def _execute_tool(
        self, use: ToolUseBlock, kind: ToolKind, batch: list[ToolCallProgress]
    ) -> ToolResultBlock:
        if not (self._parallel and self._waiting_state(batch)):  # a person's turn shows first
            self._set_state(SessionState(kind="executing_tool", tool_name=use.name, tool_use_id=use.id))
        try:
            result = await self._call_tool(use, kind)
        except ActivityError as e:
            if kind == "read" or _never_started(e):
                return self._tool_result(use, f"{use.name} failed: {_failure_message(e)}", True)
            return self._tool_result(
                use,
                f"The outcome of this {use.name} call is unknown ({_failure_message(e)}): it may "
                "or may not have taken effect. Check the current state before trying again.",
                True,
            )
        if result is None:
            return self._tool_result(use, "Interrupted by the user while the tool was running.", True)
        if result.mcp_tools is not None and self._setup:  # a server's tool list changed
            self._setup.mcp_tools = result.mcp_tools
            self._mcp_revision += 1
        if use.name == "PresentFile" and not result.is_error:
            presented = PresentedFile(
                file_path=posixpath.normpath(
                    posixpath.join(self._workspace, str(use.input["file_path"]))
                ),
                file_name=use.input.get("file_name"),
                description=use.input.get("description"),
            )
            self._presented.append(presented)
            self._publish(FilePresented, file=presented)
        return ToolResultBlock(
            tool_use_id=use.id, content=result.content, is_error=result.is_error,
            images=result.images,
        )

    async def _input_problem(self, use: ToolUseBlock) -> str | None:
        """What is wrong with a call's input, asked of its host before a person is asked
        to approve the call (None when it fits, or when the host cannot say: tool_call
        checks again)."""
        if use.name in ("TodoWrite", "AskUserQuestion"):  # the workflow checks these
            return None
        try:
            problem: str | None = await workflow.execute_activity(
                "check_tool_input",
                self._tool_request(use),
                result_type=str | None,  # type: ignore[arg-type]
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=READ_TOOL_RETRY,
                summary=f"check input · {use.name}",
                **self._on_host(),
            )
        except ActivityError:
            return None
        return problem

    def _tool_request(self, use: ToolUseBlock) -> ToolRequest:
        return ToolRequest(
            session_id=workflow.info().workflow_id,
            tool_name=use.name,
            tool_use_id=use.id,
            input=use.input,
            workspace=self._workspace,
            additional_directories=self._setup.additional_directories if self._setup else [],
            mcp_servers=self._config.mcp_servers if use.name.startswith(MCP_PREFIX) else {},
        )

    async def _call_tool(self, use: ToolUseBlock, kind: ToolKind) -> ToolResult | None:
        """Run a tool on the session's host, or on a new host when that one is gone;
        None when interrupted."""
        host = self._setup.host_queue if self._setup else None
        try:
            return await self._call_tool_on_host(use, kind)
        except ActivityError as e:
            # The host never took the call, so it is safe to run elsewhere, even when the
            # tool has side effects.
            if _never_started(e) and await self._moved_from(host):
                return await self._call_tool_on_host(use, kind)
            raise

    async def _moved_from(self, host: str | None) -> bool:
        """Move the session off `host`, unless a call beside this one already has."""
        async with self._host_lock:
            if self._setup and self._setup.host_queue != host:
                return True
            return await self._move_host()

    async def _call_tool_on_host(self, use: ToolUseBlock, kind: ToolKind) -> ToolResult | None:
        handle: workflow.ActivityHandle[ToolResult] = workflow.start_activity(
            "tool_call",
            self._tool_request(use),
            result_type=ToolResult,
            start_to_close_timeout=self._tool_timeout(use),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=TOOL_RETRY,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=use.summary(),
            **self._on_host(),
        )
        return await self._unless_interrupted(handle)

    def _close_wait(self) -> dict[str, Any]:
        """Ending waits for the host only briefly: if it is gone (a `tenure chat` that
        left), its background jobs went with it and there is nothing to release."""
        if not self._setup or not self._setup.host_queue:
            return {}
        return {"schedule_to_start_timeout": min(self._setup.host_timeout, CLOSE_HOST_WAIT)}

    def _on_host(self) -> dict[str, Any]:
        """Activity options that send a call to the session's host worker, if it has one."""
        if not self._setup or not self._setup.host_queue:
            return {}
        return {
            "task_queue": self._setup.host_queue,
            "schedule_to_start_timeout": self._setup.host_timeout,
        }

    def _tool_timeout(self, use: ToolUseBlock) -> timedelta:
        if use.name == "Bash":
            timeout_ms = use.input.get("timeout") or use.input.get("timeout_ms")  # Claude Code's, tenure's older
            ms = timeout_ms if isinstance(timeout_ms, int) and 0 < timeout_ms <= 600_000 else 120_000
            return timedelta(milliseconds=ms) + timedelta(seconds=30)
        return timedelta(minutes=10)

    # ---- helpers ------------------------------------------------------------------------

    async def _unless_interrupted(self, handle: workflow.ActivityHandle[T]) -> T | None:
        """The activity's result, or None when an interrupt or end_session cancelled it."""
        await workflow.wait_condition(lambda: handle.done() or self._interrupted or self._ending)
        if handle.done():
            return handle.result()
        handle.cancel()
        try:
            await handle
        except (ActivityError, asyncio.CancelledError):
            pass
        return None

    @property
    def _workspace(self) -> str:
        return self._setup.workspace if self._setup else self._config.workspace

    def _tool_kinds(self) -> dict[str, ToolKind]:
        """The session's tools (the worker's and its MCP servers') and their kinds."""
        if not self._setup:
            return {}
        kinds = {t.name: t.kind for t in self._setup.tools}
        return {**kinds, **{t.name: t.kind for t in self._setup.mcp_tools}}

    def _mcp_tools_to_send(self) -> list[McpToolSpec] | None:
        """The MCP tool list for the next model call, when it changed since the last."""
        if self._mcp_sent == self._mcp_revision or not self._setup:  # (revision 0: none)
            return None
        self._mcp_sent = self._mcp_revision
        return self._setup.mcp_tools

    def _unavailable(self, tool_name: str) -> str:
        missing = f"Tool {tool_name!r} is not available in this session"
        reason = unavailable_reason(tool_name, self._setup.mcp_servers) if self._setup else None
        return f"{missing}: {reason}" if reason else f"{missing}."

    def _rules(self) -> PermissionRules:
        """The session's rules joined with the worker's policy, which they cannot loosen."""
        rules = self._config.permissions
        policy = self._setup.policy if self._setup else None
        return PermissionRules(
            allow=[*(policy.allow if policy else []), *rules.allow, *self._session_rules],
            ask=rules.ask,
            deny=[*(policy.deny if policy else []), *rules.deny],
        )

    def _tool_result(self, use: ToolUseBlock, content: str, is_error: bool) -> ToolResultBlock:
        return ToolResultBlock(tool_use_id=use.id, content=content, is_error=is_error)

    def _take_inbox(self) -> list[str]:
        taken, self._inbox = self._inbox, []
        return taken

    def _add_user_content(
        self, blocks: list[ContentBlock], kind: Literal["user", "tool_result"]
    ) -> None:
        """Append a user message, merged into the previous one if that is a user message
        too (after an interrupt or a failed call), so roles keep alternating."""
        if not blocks:
            return
        if self._messages and self._messages[-1].role == "user":
            self._messages[-1].content.extend(blocks)
            self._unchanged = min(self._unchanged, len(self._messages) - 1)
        else:
            self._messages.append(Message(role="user", content=blocks))
        self._publish_message(kind, start=len(self._messages[-1].content) - len(blocks))

    def _publish_message(
        self, kind: Literal["user", "assistant", "tool_result"], start: int
    ) -> None:
        """Publish the last message's blocks from `start` on. A large event is noted so
        that a handover can carry it by reference to the message (see stream_tail)."""
        content = self._messages[-1].content
        index = self._index(len(self._messages) - 1)
        event = self._publish(MessageAdded, kind=kind, index=index, content=content[start:])
        if self._stream.last_size() >= stream_tail.BY_REFERENCE_BYTES:
            self._message_events[self._stream_end() - 1] = MessageEventRef(
                turn=event.turn, at=event.at, kind=kind, index=index, start=start, end=len(content)
            )

    def _publish(self, event: type[E], **fields: Any) -> E:
        """Append an event to the session's stream (topic `events`)."""
        at = workflow.now().isoformat().replace("+00:00", "Z")
        published = event(turn=self._turn, at=at, **fields)
        self._events.publish(published.model_dump(mode="json"))
        return published

    def _set_state(self, state: SessionState) -> None:
        if state != self._state or not self._state_published:
            self._publish(StateChanged, state=state)
        self._state, self._state_published = state, True
        details = f"{state.describe()} · turn {self._turn}"
        title = self._title
        workflow.set_current_details(f"**{title}**\n\n{details}" if title else details)
        self._index_state()

    def _index_session(self) -> None:
        """Set the TenureModel and TenureTitle search attributes (those the namespace
        has; with the first state, under INDEX_AT_START)."""
        known = self._setup.search_attributes if self._setup else []
        title = self._title
        updates: list[SearchAttributeUpdate[Any]] = []
        if TENURE_MODEL.name in known:
            updates.append(TENURE_MODEL.value_set(self._config.model))
        if TENURE_TITLE.name in known and title:
            updates.append(TENURE_TITLE.value_set(title))
        if self._index_at_start:
            self._unindexed = updates  # written with the first state, in one upsert
        elif updates:
            workflow.upsert_search_attributes(updates)

    def _index_state(self) -> None:
        """Keep the TenureState, TenureTurns and TenureCostUSD search attributes current
        (those the namespace has), so the fleet can be listed by state. Running a tool counts as
        `processing` there, and the turn count is written with each change of state:
        two upserts per turn (to processing and back to idle), not one per step."""
        known = self._setup.search_attributes if self._setup else []
        kind = self._state.kind
        if self._coarse_index and kind == "executing_tool":
            kind = "processing"
        updates, self._unindexed = self._unindexed, []
        if self._coarse_index and kind == self._indexed_state and not updates:
            return
        if TENURE_STATE.name in known and kind != self._indexed_state:
            updates.append(TENURE_STATE.value_set(kind))
        self._indexed_state = kind
        if TENURE_TURNS.name in known and self._turn != self._indexed_turns:
            self._indexed_turns = self._turn
            updates.append(TENURE_TURNS.value_set(self._turn))
        if TENURE_TITLE.name in known and self._title_unindexed and self._title:
            self._title_unindexed = False
            updates.append(TENURE_TITLE.value_set(self._title))
        cost = self._cost + self._subagent_cost
        if TENURE_COST_USD.name in known and cost != self._indexed_cost:
            self._indexed_cost = cost
            updates.append(TENURE_COST_USD.value_set(cost))
        if updates:
            workflow.upsert_search_attributes(updates)

    def _record_error(
        self, message: str, source: Literal["model", "session"] = "session"
    ) -> None:
        workflow.logger.warning("Session error: %s", message)
        self._error = message
        self._publish(ErrorReported, source=source, message=message)
        self._set_state(SessionState(kind="error", message=message))

    def _fail(self, message: str, source: Literal["model", "session"] = "session") -> SessionOutcome:
        self._record_error(message, source)
        return self._outcome("error")

    def _outcome(self, stop_reason: StopReason) -> SessionOutcome:
        last = next((m for m in reversed(self._messages) if m.role == "assistant"), None)
        return SessionOutcome(
            text=last.text if last else "",
            stop_reason=stop_reason,
            usage=self._usage,
            turns=self._turn,
            error=self._error,
            usage_total=self._usage + self._subagent_usage,
            cost_usd=self._cost,
            cost_usd_total=self._cost + self._subagent_cost,
        )

    def _reject(self, signal: str, reason: str) -> None:
        """Report a signal that changed nothing; names and reasons are cut short, so
        status stays small whatever arrives."""
        signal, reason = inbound.shorten(signal, 100), inbound.shorten(reason)
        workflow.logger.warning("Rejected signal %s: %s", signal, reason)
        self._publish(ErrorReported, source="signal", message=f"Rejected signal {signal}: {reason}")
        self._rejected = [*self._rejected, RejectedSignal(signal=signal, reason=reason)][
            -MAX_REJECTED_SIGNALS:
        ]

    # ---- signals ------------------------------------------------------------------------

    @workflow.signal(dynamic=True)
    def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every signal arrives here as raw payloads, so that none (no payload, two, one
        that does not decode or has the wrong shape) can fail a workflow task."""
        try:
            if name == "interrupt":
                self._interrupted = True
            elif name == "end_session":
                self._ending = True
            elif name == "user_message":
                self._on_user_message(inbound.payload(args, UserMessage))
            elif name == "permission_response":
                self._on_permission_response(inbound.payload(args, PermissionResponse))
            elif name == "user_answer":
                self._on_user_answer(inbound.payload(args, UserAnswer))
            elif name == "compact":
                self._on_compact(inbound.payload(args, CompactRequest))
            elif name == "set_budget":
                self._on_set_budget(inbound.payload(args, Budget))
            elif name == STREAM_PUBLISH_SIGNAL:
                self._on_stream_publish(*inbound.model_deltas(args))
            else:
                self._reject(name, "unknown signal")
        except Rejected as e:
            self._reject(name, str(e))

    def _on_user_message(self, message: UserMessage) -> None:
        if self._state.kind == "done":
            raise Rejected("the session has ended")
        self._inbox.append(message.text)

    def _on_compact(self, request: CompactRequest) -> None:
        if self._state.kind == "done":
            raise Rejected("the session has ended")
        asked = self._compact_asked or []
        self._compact_asked = [*asked, *([request.instructions] if request.instructions else [])]

    def _on_set_budget(self, budget: Budget) -> None:
        """Set the limits the payload names (a `null` is no limit), keep the others."""
        if self._state.kind == "done":
            raise Rejected("the session has ended")
        given = budget.model_dump(include=budget.model_fields_set)
        self._config = self._config.model_copy(
            update={"budget": self._config.budget.model_copy(update=given)}
        )

    def _on_permission_response(self, response: PermissionResponse) -> None:
        if response.request_id not in self._pending:
            raise Rejected(f"no pending request {response.request_id!r}")
        self._decisions[response.request_id] = response

    def _on_user_answer(self, answer: UserAnswer) -> None:
        if answer.request_id not in self._questions:
            raise Rejected(f"no pending question {answer.request_id!r}")
        self._answers[answer.request_id] = answer

    async def _on_stream_poll(self, poll: PollInput) -> PollResult:
        """The stream's long poll (an update), counted: model output is streamed only
        while someone follows the session."""
        with self._follower():
            return await self._stream._on_poll(poll)  # noqa: SLF001

    async def _wait_for_events(self, offset: int) -> int:
        """A follower's long poll that brings no events (tenure/client/stream.py): it
        returns the stream's next offset once the stream has events from `offset` on, or
        when the run lets its followers go (it ends or hands over). The follower reads
        the events with the stream's query, so they are not written into the history
        again. Counted like the stream's own poll."""
        with self._follower():
            await workflow.wait_condition(
                lambda: self._stream_end() > offset or self._stream._detaching  # noqa: SLF001
            )
            return self._stream_end()

    @contextmanager
    def _follower(self) -> Iterator[None]:
        """A poll of the stream, while it waits: someone follows the session."""
        self._polls += 1
        try:
            yield
        finally:
            self._polls -= 1
            self._last_poll = workflow.now()

    def _stream_end(self) -> int:
        """The offset the stream's next event will have."""
        return self._stream._on_offset()  # noqa: SLF001

    def _followed(self) -> bool:
        """Whether a subscriber polls the stream now or did within FOLLOWER_GAP, or this is
        the first model call of a session started less than FOLLOWER_GAP ago: whoever
        started it is about to subscribe, and polls before that first reply ends, so the
        calls after it see the subscriber (a session nobody subscribed to streams nothing
        from its second call on)."""
        now = workflow.now()
        if self._polls:
            return True
        if self._last_poll is not None:
            return now - self._last_poll < FOLLOWER_GAP
        return self._turn == 1 and now - workflow.info().start_time < FOLLOWER_GAP

    def _on_stream_publish(self, batch: PublishInput, deltas: list[inbound.Delta]) -> None:
        """Model output from model_call, appended to the stream (which drops a batch it
        has seen before); a failed attempt shows in status until the call succeeds."""
        for delta in deltas:
            if isinstance(delta, ModelError) and delta.turn == self._turn:
                at = workflow.now() + timedelta(seconds=delta.retry_in_s)
                self._retry = ModelRetryStatus(
                    attempt=delta.attempt,
                    message=delta.message,
                    next_retry_at=at.isoformat().replace("+00:00", "Z"),
                )
        self._stream._on_publish(batch)  # noqa: SLF001 - keeps the stream's dedup state

    # ---- queries ------------------------------------------------------------------------

    @workflow.query(name="status")
    def status(self) -> SessionStatus:
        return SessionStatus(
            state=self._state,
            turn=self._turn,
            pending_permissions=list(self._pending.values()),
            pending_questions=list(self._questions.values()),
            todos=self._todos,
            presented_files=self._presented,
            usage=self._usage,
            usage_total=self._usage + self._subagent_usage,
            subagents=list(self._subagents),
            cost_usd=self._cost,
            cost_usd_total=self._cost + self._subagent_cost,
            budget=self._config.budget,
            title=self._title,
            error=self._error,
            rejected_signals=self._rejected,
            model_retry=self._retry,
        )

    @workflow.query(name="mcp_tools")
    def mcp_tools(self) -> list[McpToolSpec]:
        """The session's MCP tools now (for a model call whose worker has no copy)."""
        return self._setup.mcp_tools if self._setup else []

    @workflow.query(name="transcript_archive")
    def transcript_archive(self) -> TranscriptArchive:
        """Where the messages compaction took out of the model's context are kept, and
        whether the context starts with a summary (see SessionHandle.transcript)."""
        return TranscriptArchive(segments=self._archive, summarized=self._summarized)

    @workflow.query(name="transcript")
    def transcript(self, query: Any = None) -> TranscriptPage:
        """Messages from `offset`, at most `limit`, in a page of at most `max_bytes`
        (see tenure.models.transcript): read a long transcript page by page."""
        return transcript_page(self._messages, TranscriptQuery.model_validate(query or {}))

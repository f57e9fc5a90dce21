"""AgentSession: the turn loop, as a durable Temporal workflow. Deterministic code only.

Call the model, run the tools it asks for (after asking a person when the permission
rules say so), feed the results back, repeat until it stops asking. Signal handlers only
enqueue; the main loop runs the turns.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.contrib.workflow_streams import (
    PollInput,
    PollResult,
    PublishInput,
    WorkflowStream,
)
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as TemporalTimeout

from tenure.models import (
    AskUserQuestionInput,
    ContentBlock,
    HookEvent,
    HookInput,
    HookResult,
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
from tenure.models.events import (
    EVENTS_TOPIC,
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
    ToolEnded,
    ToolStarted,
    TurnEnded,
    TurnStarted,
    UsageReported,
)
from tenure.models.search import TENURE_MODEL, TENURE_STATE, TENURE_TITLE, TENURE_TURNS
from tenure.models.transcript import transcript_page
from tenure.models.validation import validation_problems
from tenure.permissions import Decision, decide, session_rule
from tenure.workflows import inbound
from tenure.workflows.inbound import STREAM_POLL, STREAM_PUBLISH_SIGNAL, Rejected

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
MAX_REJECTED_SIGNALS = 20
CLOSE_HOST_WAIT = timedelta(seconds=3)
FOLLOWER_GAP = timedelta(seconds=10)
"""A subscriber that polled the stream this recently still follows the session (it is
between two polls); model output is streamed to the stream only while one does."""
PREVIEW_CHARS = 200
T = TypeVar("T")


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


def _failure_message(error: ActivityError) -> str:
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
        try:
            self._config = inbound.session_config([config, *extra])
            self._invalid: ApplicationError | None = None
        except ApplicationError as e:
            self._config = SessionConfig.model_construct(model="")
            self._invalid = e
        self._title = self._config.display_title()
        """Worked out once: the first prompt may be long, and status asks for it often."""
        self._messages: list[Message] = []
        self._inbox: list[str] = []
        self._state = SessionState(kind="processing")
        self._turn = 0
        self._usage = Usage()
        self._pending: dict[str, PendingPermission] = {}
        self._decisions: dict[str, PermissionResponse] = {}
        self._questions: dict[str, PendingQuestion] = {}
        self._answers: dict[str, UserAnswer] = {}
        self._todos: list[Todo] = []
        self._presented: list[PresentedFile] = []
        self._session_rules: list[str] = []
        self._rejected: list[RejectedSignal] = []
        self._error: str | None = None
        self._interrupted = False
        self._ending = False
        self._setup: SessionSetup | None = None
        self._hook_context: list[str] = []
        """Context from hooks, added to the next user message the model sees."""
        self._stream = WorkflowStream()
        self._events = self._stream.topic(EVENTS_TOPIC)
        # Publishes from outside (model deltas) go through on_signal, which checks them;
        # polls go through _on_stream_poll, which notes that someone follows the session.
        workflow.set_signal_handler(STREAM_PUBLISH_SIGNAL, None)
        workflow.set_update_handler(
            STREAM_POLL, self._on_stream_poll, validator=self._stream._validate_poll  # noqa: SLF001
        )
        self._polls = 0
        self._last_poll: datetime | None = None
        self._retry: ModelRetryStatus | None = None
        self._coarse_index = True
        self._check_input = self._fail_on_error = True
        """Which gated changes this run has (see run())."""
        self._indexed_state: str | None = None
        self._indexed_turns: int | None = None
        """What the search attributes say now."""

    # ---- the loop ---------------------------------------------------------------------

    @workflow.run
    async def run(self, config: Any = None, *extra: Any) -> SessionOutcome:
        # Asked once, before anything else, so that the markers sit at the start of the
        # history and a replay meets them where the code asks.
        self._coarse_index = workflow.patched(COARSE_INDEX)
        self._check_input = workflow.patched(CHECK_INPUT)
        self._fail_on_error = workflow.patched(FAIL_ON_ERROR)
        if self._invalid:
            self._record_error(self._invalid.message)
            raise self._invalid
        outcome = await self._run_session(self._config)
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
        try:
            self._setup = await self._prepare()
        except ActivityError as e:
            return self._fail(f"The session could not start: {_failure_message(e)}")
        self._index_session()
        self._publish(
            SessionStarted,
            model=config.model,
            title=self._title,
            mode=config.mode,
            workspace=self._workspace,
        )
        if config.prompt:
            self._inbox.append(config.prompt)
        if started := await self._hook("SessionStart"):
            self._hook_context += started.additional_context

        stop_reason: StopReason = "end_turn"
        while True:
            if self._error is None:
                self._set_state(SessionState(kind="idle"))
            await workflow.wait_condition(lambda: bool(self._inbox) or self._ending)
            if self._ending:
                stop_reason = "ended"
                break
            try:
                stop_reason = await self._run_turns()
            except _SessionFailed as e:
                if config.mode == "autonomous":
                    await self._close()
                    return self._fail(str(e), source="model")
                self._record_error(str(e), source="model")
                continue
            await self._hook("TurnComplete")
            if self._ending:
                stop_reason = "ended"
                break
            if config.mode == "autonomous" and not self._inbox:
                break
        await self._close()
        self._set_state(SessionState(kind="done"))
        return self._outcome(stop_reason)

    async def _prepare(self) -> SessionSetup:
        """Ask a worker to check the session's workspace, tools and rules; that worker
        becomes the session's host, where its tools run."""
        config = self._config
        setup: SessionSetup = await workflow.execute_activity(
            "prepare_session",
            SessionSetupRequest(
                workspace=config.workspace,
                additional_directories=config.additional_directories,
                tools=config.tools,
                rules=config.permissions,
            ),
            result_type=SessionSetup,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=READ_TOOL_RETRY,
            summary="prepare session",
        )
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
        stops asking for tools, max_turns is reached, or a person interrupts."""
        self._interrupted = False
        self._error = None
        prompts = await self._submit_prompts()
        if not prompts:
            return "end_turn"
        self._add_user_content(prompts, "user")
        for _ in range(self._config.max_turns):
            self._turn += 1
            self._publish(TurnStarted)
            self._set_state(SessionState(kind="processing"))
            response = await self._call_model()
            if response is None:
                self._publish(TurnEnded, stop_reason="interrupted")
                return "interrupted"
            self._messages.append(response.message)
            self._publish(
                MessageAdded,
                kind="assistant",
                index=len(self._messages) - 1,
                content=response.message.content,
            )
            self._usage += response.usage
            self._publish(UsageReported, usage=response.usage, total=self._usage)
            if answered := await self._hook(
                "PostAssistantResponse", assistant_text=response.message.text
            ):
                self._hook_context += answered.additional_context
            tool_uses = response.message.tool_uses
            if not tool_uses:
                self._publish(TurnEnded, stop_reason=response.stop_reason or "end_turn")
                return "max_tokens" if response.stop_reason == "max_tokens" else "end_turn"
            results: list[ContentBlock] = []
            for use in tool_uses:
                results.append(await self._run_tool(use))
            self._add_user_content(results, "tool_result")
            # Messages that arrived during the batch steer the next model call.
            self._add_user_content(await self._submit_prompts(), "user")
            if self._interrupted or self._ending:
                self._publish(TurnEnded, stop_reason="interrupted")
                return "interrupted"
            self._publish(TurnEnded, stop_reason="tool_use")
        workflow.logger.info("Stopped after %d model calls (max_turns)", self._config.max_turns)
        return "max_turns"

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

    # ---- model calls --------------------------------------------------------------------

    async def _call_model(self) -> ModelResponse | None:
        model = self._config.model
        label = model.removeprefix("anthropic:")
        handle: workflow.ActivityHandle[ModelResponse] = workflow.start_activity(
            "model_call",
            ModelCallInput(
                session_id=workflow.info().workflow_id,
                run_id=workflow.info().run_id,
                transcript_length=len(self._messages),
                workspace=self._workspace,
                model=model,
                system_prompt=self._config.system_prompt,
                tools=self._config.tools,
                max_tokens=self._config.max_tokens,
                turn=self._turn,
                stream_output=self._followed(),
            ),
            result_type=ModelResponse,
            start_to_close_timeout=timedelta(minutes=10),
            schedule_to_close_timeout=MODEL_OUTAGE_LIMIT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=MODEL_RETRY,
            summary=f"{label} · turn {self._turn}",
        )
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

    async def _run_tool(self, use: ToolUseBlock) -> ToolResultBlock:
        self._publish(
            ToolStarted,
            tool_use_id=use.id,
            tool_name=use.name,
            input=use.input,
            summary=use.summary(),
        )
        result = await self._permit_and_run(use)
        self._publish(
            ToolEnded,
            tool_use_id=use.id,
            tool_name=use.name,
            is_error=result.is_error,
            preview=result.content[:PREVIEW_CHARS],
        )
        return result

    async def _permit_and_run(self, use: ToolUseBlock) -> ToolResultBlock:
        """Hooks, then the permission decision (asking a person if need be), then the
        tool itself, then the hooks that see its result."""
        if self._interrupted or self._ending:
            return self._tool_result(use, "Interrupted by the user before this tool ran.", True)
        kind = self._tool_kinds().get(use.name)
        if kind is None:
            return self._tool_result(use, f"Tool {use.name!r} is not available in this session.", True)
        hook = await self._hook(
            "PreToolUse", tool_name=use.name, tool_use_id=use.id, tool_input=use.input
        )
        if hook and hook.decision == "deny":
            return self._tool_result(use, f"Blocked by a hook: {hook.reason or 'no reason given'}", True)
        if hook and hook.updated_input is not None:
            use = use.model_copy(update={"input": hook.updated_input})
        decision = decide(
            tool_name=use.name,
            tool_input=use.input,
            kind=kind,
            mode=self._config.permission_mode,
            rules=self._rules(),
            workspace=self._workspace,
        )
        if hook and hook.decision and decision.verdict != "deny":
            # A hook may ask or allow, but never overrides a deny.
            decision = Decision(hook.decision, hook.reason or f"a hook said {hook.decision}")
        if decision.verdict == "deny":
            return self._tool_result(use, f"Permission denied: {decision.reason}.", True)
        if decision.verdict == "ask":
            if self._check_input and (problem := await self._input_problem(use)):
                return self._tool_result(use, problem, True)
            response = await self._ask_permission(use, decision.reason)
            if response is None:
                return self._tool_result(use, "Interrupted by the user while awaiting approval.", True)
            if response.decision == "deny":
                why = f": {response.reason}" if response.reason else "."
                return self._tool_result(use, f"The user denied this {use.name} call{why}", True)
            if response.scope == "session":
                self._session_rules.append(session_rule(use.name, use.input))
        if use.name == "TodoWrite":
            result = self._write_todos(use)
        elif use.name == "AskUserQuestion":
            result = await self._ask_user(use)
        else:
            result = await self._execute_tool(use, kind)
        context = hook.additional_context if hook else []
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
        return result

    # ---- tools the workflow handles itself ----------------------------------------------

    def _write_todos(self, use: ToolUseBlock) -> ToolResultBlock:
        try:
            self._todos = TodoWriteInput.model_validate(use.input).todos
        except ValidationError as e:
            return self._tool_result(use, f"Invalid input for TodoWrite: {validation_problems(e)}", True)
        return self._tool_result(
            use, "Todos updated. Keep them current as you work through the tasks.", False
        )

    async def _ask_user(self, use: ToolUseBlock) -> ToolResultBlock:
        try:
            questions = AskUserQuestionInput.model_validate(use.input).questions
        except ValidationError as e:
            return self._tool_result(use, f"Invalid input for AskUserQuestion: {validation_problems(e)}", True)
        request_id = str(workflow.uuid4())
        self._questions[request_id] = PendingQuestion(
            request_id=request_id, tool_use_id=use.id, questions=questions
        )
        self._publish(QuestionAsked, request_id=request_id, tool_use_id=use.id, questions=questions)
        self._set_state(SessionState(kind="waiting_for_user_input", request_id=request_id))
        await workflow.wait_condition(
            lambda: request_id in self._answers or self._interrupted or self._ending
        )
        del self._questions[request_id]
        answer = self._answers.pop(request_id, None)
        self._publish(
            QuestionAnswered, request_id=request_id, answers=answer.answers if answer else None
        )
        if answer is None:
            return self._tool_result(use, "Interrupted by the user before answering.", True)
        lines = [
            f'"{q.question}" = "{answer.answers.get(q.question, "(no answer)")}"' for q in questions
        ]
        return self._tool_result(use, "The user answered:\n" + "\n".join(lines), False)

    async def _ask_permission(self, use: ToolUseBlock, reason: str) -> PermissionResponse | None:
        request_id = str(workflow.uuid4())
        pending = PendingPermission(
            request_id=request_id,
            tool_name=use.name,
            tool_use_id=use.id,
            input=use.input,
            reason=reason,
        )
        self._pending[request_id] = pending
        self._publish(PermissionRequested, **pending.model_dump())
        self._set_state(
            SessionState(
                kind="waiting_for_permission",
                request_id=request_id,
                tool_name=use.name,
                tool_use_id=use.id,
            )
        )
        await workflow.wait_condition(
            lambda: request_id in self._decisions or self._interrupted or self._ending
        )
        del self._pending[request_id]
        response = self._decisions.pop(request_id, None)
        self._publish(
            PermissionResolved,
            request_id=request_id,
            **(response.model_dump(exclude={"request_id"}) if response else {"decision": "interrupted"}),
        )
        return response

    async def _execute_tool(self, use: ToolUseBlock, kind: ToolKind) -> ToolResultBlock:
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
        return self._tool_result(use, result.content, result.is_error)

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
        )

    async def _call_tool(self, use: ToolUseBlock, kind: ToolKind) -> ToolResult | None:
        """Run a tool on the session's host, or on a new host when that one is gone;
        None when interrupted."""
        try:
            return await self._call_tool_on_host(use, kind)
        except ActivityError as e:
            # The host never took the call, so it is safe to run elsewhere, even when the
            # tool has side effects.
            if _never_started(e) and await self._move_host():
                return await self._call_tool_on_host(use, kind)
            raise

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
            timeout_ms = use.input.get("timeout_ms")
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
        return {t.name: t.kind for t in self._setup.tools} if self._setup else {}

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
        else:
            self._messages.append(Message(role="user", content=blocks))
        self._publish(MessageAdded, kind=kind, index=len(self._messages) - 1, content=blocks)

    def _publish(self, event: type[BaseModel], **fields: Any) -> None:
        """Append an event to the session's stream (topic `events`)."""
        at = workflow.now().isoformat().replace("+00:00", "Z")
        payload = event(turn=self._turn, at=at, **fields).model_dump(mode="json")
        self._events.publish(payload)

    def _set_state(self, state: SessionState) -> None:
        if state != self._state:
            self._publish(StateChanged, state=state)
        self._state = state
        details = f"{state.describe()} · turn {self._turn}"
        title = self._title
        workflow.set_current_details(f"**{title}**\n\n{details}" if title else details)
        self._index_state()

    def _index_session(self) -> None:
        """Set the TenureModel and TenureTitle search attributes (those the namespace
        has) and show the title in the web UI."""
        known = self._setup.search_attributes if self._setup else []
        title = self._title
        updates: list[SearchAttributeUpdate[Any]] = []
        if TENURE_MODEL.name in known:
            updates.append(TENURE_MODEL.value_set(self._config.model))
        if TENURE_TITLE.name in known and title:
            updates.append(TENURE_TITLE.value_set(title))
        if updates:
            workflow.upsert_search_attributes(updates)

    def _index_state(self) -> None:
        """Keep the TenureState and TenureTurns search attributes current (those the
        namespace has), so the fleet can be listed by state. Running a tool counts as
        `processing` there, and the turn count is written with each change of state:
        two upserts per turn (to processing and back to idle), not one per step."""
        known = self._setup.search_attributes if self._setup else []
        kind = self._state.kind
        if self._coarse_index and kind == "executing_tool":
            kind = "processing"
        if self._coarse_index and kind == self._indexed_state:
            return
        updates: list[SearchAttributeUpdate[Any]] = []
        if TENURE_STATE.name in known and kind != self._indexed_state:
            updates.append(TENURE_STATE.value_set(kind))
        self._indexed_state = kind
        if TENURE_TURNS.name in known and self._turn != self._indexed_turns:
            self._indexed_turns = self._turn
            updates.append(TENURE_TURNS.value_set(self._turn))
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
        self._polls += 1
        try:
            return await self._stream._on_poll(poll)  # noqa: SLF001
        finally:
            self._polls -= 1
            self._last_poll = workflow.now()

    def _followed(self) -> bool:
        """Whether a subscriber polls the stream now or did within FOLLOWER_GAP, or the
        session started less than FOLLOWER_GAP ago (whoever started it is about to
        subscribe)."""
        now = workflow.now()
        if self._polls or now - workflow.info().start_time < FOLLOWER_GAP:
            return True
        return self._last_poll is not None and now - self._last_poll < FOLLOWER_GAP

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
            title=self._title,
            error=self._error,
            rejected_signals=self._rejected,
            model_retry=self._retry,
        )

    @workflow.query(name="transcript")
    def transcript(self, query: Any = None) -> TranscriptPage:
        """Messages from `offset`, at most `limit`, in a page of at most `max_bytes`
        (see tenure.models.transcript): read a long transcript page by page."""
        return transcript_page(self._messages, TranscriptQuery.model_validate(query or {}))

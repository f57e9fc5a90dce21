"""AgentClient: start, find and list agent sessions."""

from __future__ import annotations

import asyncio
import builtins
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from tenure import settings
from tenure.client.session import SessionHandle
from tenure.models import SessionConfig, SessionOutcome, SessionStatus
from tenure.client.schedules import ScheduleInfo, create_schedule, list_schedules
from tenure.models.search import (
    TENURE_COST_USD,
    TENURE_OWNER,
    TENURE_PARENT,
    TENURE_STATE,
    TENURE_TITLE,
    TENURE_TURNS,
)
from tenure.models.state import StateKind
from tenure.connection import connect

SUMMARY_LIMIT = 200
WAITING_STATES: tuple[StateKind, ...] = ("waiting_for_permission", "waiting_for_user_input")
"""The states in which a session waits for a person."""
STATUS_TIMEOUT = timedelta(seconds=5)
SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
"""Set by Temporal on a workflow that a schedule started."""


class SearchAttributeMissingError(RuntimeError):
    """The namespace lacks tenure's search attributes, so sessions cannot be listed by state."""


@dataclass
class SessionInfo:
    id: str
    status: str
    """Temporal's execution status: RUNNING, COMPLETED, FAILED, ..."""
    start_time: datetime
    title: str | None
    state: str | None = None
    """The TenureState search attribute (visibility lags the session by a moment)."""
    turns: int | None = None
    parent: str | None = None
    """The session that started this one, for a subagent (TenureParent)."""
    schedule: str | None = None
    """The schedule that started this one, if one did."""
    cost_usd: float | None = None
    """The TenureCostUSD search attribute (as of the session's last change of state)."""
    owner: str | None = None
    """The TenureOwner search attribute: who started the session through the HTTP API."""


@dataclass
class WaitingSession:
    """A running session waiting for a person, with its pending requests in `status`."""

    session: SessionInfo
    status: SessionStatus


class AgentClient:
    def __init__(self, client: Client, task_queue: str | None = None) -> None:
        self.client = client
        self.task_queue = task_queue or settings.task_queue()

    @classmethod
    async def connect(
        cls,
        address: str | None = None,
        *,
        namespace: str | None = None,
        task_queue: str | None = None,
    ) -> AgentClient:
        """Connect to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE unless told otherwise."""
        return cls(await connect(address, namespace), task_queue)

    async def start(
        self,
        config: SessionConfig,
        *,
        prompt: str | None = None,
        session_id: str | None = None,
        owner: str | None = None,
    ) -> SessionHandle:
        """Start a session; `prompt` (if given) replaces the config's first message.
        `owner` (the HTTP API's caller) goes into the TenureOwner search attribute."""
        if prompt is not None:
            config = config.model_copy(update={"prompt": prompt})
        session_id = session_id or f"session-{uuid.uuid4().hex[:12]}"
        summary = (config.title or config.prompt or "agent session").strip()
        handle = await self.client.start_workflow(
            "AgentSession",
            config,
            id=session_id,
            task_queue=self.task_queue,
            result_type=SessionOutcome,
            static_summary=summary[:SUMMARY_LIMIT],
            memo={"title": summary[:SUMMARY_LIMIT]},
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(TENURE_OWNER, owner)] if owner is not None else []
            ),
        )
        return SessionHandle(handle, self.client)

    async def schedule(
        self,
        schedule_id: str,
        config: SessionConfig,
        *,
        prompt: str | None = None,
        cron: str | None = None,
        every: timedelta | None = None,
        overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP,
    ) -> ScheduleHandle:
        """Start `config` (with `prompt` as its task) as an autonomous session at each
        `cron` time and/or every `every` (a Temporal Schedule with id `schedule_id`; its
        sessions are `<schedule_id>-<time>`). Pause, trigger or delete it through the
        handle, or `client.get_schedule_handle(schedule_id)`."""
        if prompt is not None:
            config = config.model_copy(update={"prompt": prompt})
        return await create_schedule(
            self.client, schedule_id, config, task_queue=self.task_queue,
            cron=cron, every=every, overlap=overlap,
        )

    async def schedules(self) -> builtins.list[ScheduleInfo]:
        """The schedules that start sessions, by id."""
        return await list_schedules(self.client)

    def get(self, session_id: str) -> SessionHandle:
        return SessionHandle(
            self.client.get_workflow_handle(session_id, result_type=SessionOutcome), self.client
        )

    async def list(
        self,
        *,
        running_only: bool = False,
        state: StateKind | None = None,
        owner: str | None = None,
        limit: int = 100,
    ) -> list[SessionInfo]:
        """Sessions, newest first; `state` keeps those in that state (as the TenureState
        search attribute has it): running ones, except for `done` and `error`, which
        finished sessions keep. `owner` keeps those that TenureOwner says it started."""
        # A session that continued as new is its latest run; the runs it closed are not
        # sessions of their own.
        query = 'WorkflowType="AgentSession" AND ExecutionStatus!="ContinuedAsNew"'
        if running_only or (state and state not in ("done", "error")):
            query += ' AND ExecutionStatus="Running"'
        if state:
            query += f' AND {TENURE_STATE.name}="{state}"'
        if owner is not None:
            query += f" AND {TENURE_OWNER.name}={_quoted(owner)}"
        sessions = []
        try:
            async for wf in self.client.list_workflows(query, limit=limit):
                sessions.append(await _session_info(wf))
            sessions.sort(key=lambda s: s.start_time, reverse=True)
        except RPCError as e:
            if (state or owner is not None) and e.status == RPCStatusCode.INVALID_ARGUMENT:
                by = "state" if state else "owner"
                raise SearchAttributeMissingError(
                    f"Cannot list sessions by {by}: {e.message}. Register tenure's search "
                    "attributes on the namespace (see README, 'Search attributes and the fleet')."
                ) from e
            raise
        return sessions

    async def waiting(
        self, state: StateKind | None = None, *, owner: str | None = None, limit: int = 100
    ) -> builtins.list[WaitingSession]:
        """Running sessions, on any worker, that wait for a person (for a permission
        decision or an answer; `state` picks one of the two; `owner` as for `list`), each
        with its pending requests. What an approvals inbox is built on."""
        states = (state,) if state else WAITING_STATES
        found = [
            s for kind in states for s in await self.list(state=kind, owner=owner, limit=limit)
        ]
        statuses = await asyncio.gather(*(self.status_or_none(s.id) for s in found))
        # Visibility lags: keep only the sessions that still wait, as their status says.
        return sorted(
            (
                WaitingSession(session, status)
                for session, status in zip(found, statuses, strict=True)
                if status is not None and status.state.kind in states
            ),
            key=lambda w: w.session.start_time,
            reverse=True,
        )

    async def status_or_none(
        self, session_id: str, timeout: timedelta = STATUS_TIMEOUT
    ) -> SessionStatus | None:
        """The session's status, or None when no worker answers the query in time."""
        try:
            return await asyncio.wait_for(self.get(session_id).status(), timeout.total_seconds())
        except (TimeoutError, RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
            return None


async def _session_info(wf: WorkflowExecution) -> SessionInfo:
    status = wf.status or WorkflowExecutionStatus.RUNNING
    return SessionInfo(
        id=wf.id,
        status=status.name,
        start_time=wf.start_time,
        # tenure's own client sets the memo; a session started elsewhere (the temporal
        # CLI, another SDK) has its title in TenureTitle, which the workflow sets.
        title=await wf.memo_value("title", None, type_hint=str)
        or wf.typed_search_attributes.get(TENURE_TITLE),
        state=wf.typed_search_attributes.get(TENURE_STATE),
        turns=wf.typed_search_attributes.get(TENURE_TURNS),
        parent=wf.typed_search_attributes.get(TENURE_PARENT),
        schedule=wf.typed_search_attributes.get(SCHEDULED_BY),
        cost_usd=wf.typed_search_attributes.get(TENURE_COST_USD),
        owner=wf.typed_search_attributes.get(TENURE_OWNER),
    )


def _quoted(value: str) -> str:
    """A string literal of Temporal's list filter (a SQL-like language)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

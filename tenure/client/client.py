"""AgentClient: start, find and list agent sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionStatus

from tenure import settings
from tenure.client.session import SessionHandle
from tenure.models import SessionConfig, SessionOutcome
from tenure.workers.worker import connect

SUMMARY_LIMIT = 200


@dataclass
class SessionInfo:
    id: str
    status: str
    """Temporal's execution status: RUNNING, COMPLETED, FAILED, ..."""
    start_time: datetime
    title: str | None


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
    ) -> SessionHandle:
        """Start a session; `prompt` (if given) replaces the config's first message."""
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
        )
        return SessionHandle(handle)

    def get(self, session_id: str) -> SessionHandle:
        return SessionHandle(
            self.client.get_workflow_handle(session_id, result_type=SessionOutcome)
        )

    async def list(self, *, running_only: bool = False, limit: int = 100) -> list[SessionInfo]:
        """Sessions, newest first."""
        query = 'WorkflowType="AgentSession"'
        if running_only:
            query += ' AND ExecutionStatus="Running"'
        sessions = []
        async for wf in self.client.list_workflows(query, limit=limit):
            status = wf.status or WorkflowExecutionStatus.RUNNING
            sessions.append(
                SessionInfo(
                    id=wf.id, status=status.name, start_time=wf.start_time,
                    title=await wf.memo_value("title", None, type_hint=str),
                )
            )
        return sessions

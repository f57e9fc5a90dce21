"""What the API answers with, beside the models of tenure.models it returns as they are."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tenure.client import SessionInfo, WaitingSession
from tenure.models import PendingPermission, PendingQuestion, SessionStatus


class Started(BaseModel):
    """The answer to POST /sessions (201)."""

    session_id: str


class SessionSummary(BaseModel):
    """A session in a list."""

    session_id: str
    title: str | None
    state: str | None
    """The session's state kind as its TenureState search attribute says (visibility lags
    by a moment)."""
    status: str
    """Temporal's execution status: RUNNING, COMPLETED, FAILED, ..."""
    start_time: datetime
    turns: int | None
    owner: str | None

    @classmethod
    def of(cls, info: SessionInfo) -> SessionSummary:
        return cls(
            session_id=info.id,
            title=info.title,
            state=info.state,
            status=info.status,
            start_time=info.start_time,
            turns=info.turns,
            owner=info.owner,
        )


class SessionList(BaseModel):
    sessions: list[SessionSummary]


class SessionDetail(SessionStatus):
    """The session's `status` query, with its id and owner."""

    session_id: str
    owner: str | None
    """Who started it (TenureOwner); None for a session started outside the HTTP API."""


class WaitingRequests(BaseModel):
    """A session that waits for a person, with what it waits for."""

    session_id: str
    title: str | None
    state: str
    pending_permissions: list[PendingPermission]
    pending_questions: list[PendingQuestion]

    @classmethod
    def of(cls, waiting: WaitingSession) -> WaitingRequests:
        return cls(
            session_id=waiting.session.id,
            title=waiting.status.title or waiting.session.title,
            state=waiting.status.state.kind,
            pending_permissions=waiting.status.pending_permissions,
            pending_questions=waiting.status.pending_questions,
        )


class Inbox(BaseModel):
    """Every request waiting for a person that the caller may see."""

    waiting: list[WaitingRequests]


class Accepted(BaseModel):
    """The session took the request (a signal: it acts on it in a moment)."""

    session_id: str

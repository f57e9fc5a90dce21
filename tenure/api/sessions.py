"""The routes of sessions: start, list, read, message, decide, answer, interrupt,
compact, end; and the inbox of requests waiting for a person."""

from __future__ import annotations

import logging
from urllib.parse import quote

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from tenure.api.bodies import (
    AnswersBody,
    CompactBody,
    DecisionBody,
    MessageBody,
    read_model,
)
from tenure.api.context import ApiContext
from tenure.api.errors import ApiError
from tenure.api.params import bool_param, int_param, state_param
from tenure.api.views import (
    Accepted,
    Inbox,
    SessionDetail,
    SessionList,
    SessionSummary,
    Started,
    WaitingRequests,
)
from tenure.client import SearchAttributeMissingError, SessionHandle, UnknownRequestError
from tenure.models import SessionConfig

audit = logging.getLogger("tenure.api.audit")
LIST_LIMIT = 1000


def _json(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status, headers=headers)


def origin(request: Request) -> str:
    """Where a request came from, for the audit trail."""
    host = request.client.host if request.client else "unknown"
    return f"http-api {host}"


class SessionRoutes:
    def __init__(self, context: ApiContext) -> None:
        self.context = context

    async def _open(self, handle: SessionHandle) -> None:
        """409 unless the session still runs."""
        if not await handle.is_running():
            raise ApiError(409, f"session {handle.id!r} has ended")

    async def start(self, request: Request) -> JSONResponse:
        caller = await self.context.caller(request, "sessions:write")
        config = await read_model(request, SessionConfig)
        handle = await self.context.client.start(config, owner=caller.sub)
        self.context.tenancy.remember(handle.id, caller.sub)
        audit.info("start session=%s by=%s from=%s", handle.id, caller.sub, origin(request))
        location = f"/sessions/{quote(handle.id, safe='')}"
        return _json(Started(session_id=handle.id), 201, {"Location": location})

    async def list(self, request: Request) -> JSONResponse:
        caller = await self.context.caller(request, "sessions:read")
        state = state_param(request)
        limit = int_param(request, "limit", 100, most=LIST_LIMIT) or 100
        try:
            found = await self.context.client.list(
                state=state, owner=None if caller.is_admin else caller.sub, limit=limit
            )
        except SearchAttributeMissingError as e:
            raise ApiError(503, str(e)) from None
        return _json(SessionList(sessions=[SessionSummary.of(s) for s in found]))

    async def detail(self, request: Request) -> JSONResponse:
        _, handle = await self.context.session(request, "sessions:read")
        status = await handle.status()
        owner = await self.context.tenancy.owner(handle.id)  # known by now: no call
        return _json(SessionDetail(session_id=handle.id, owner=owner, **status.model_dump()))

    async def transcript(self, request: Request) -> JSONResponse:
        _, handle = await self.context.session(request, "sessions:read")
        offset = int_param(request, "offset", 0) or 0
        limit = int_param(request, "limit", None)
        page = await handle.transcript(offset, limit, full=bool_param(request, "full"))
        return _json(page)

    async def message(self, request: Request) -> JSONResponse:
        _, handle = await self.context.session(request, "sessions:write")
        body = await read_model(request, MessageBody)
        if not await handle.takes_messages():
            raise ApiError(409, f"session {handle.id!r} has ended: it takes no more messages")
        await handle.send(body.text)
        return _json(Accepted(session_id=handle.id), 202)

    async def decide(self, request: Request) -> JSONResponse:
        caller, handle = await self.context.session(request, "approvals:write")
        body = await read_model(request, DecisionBody)
        request_id = request.path_params["request_id"]
        where = origin(request)
        try:
            if body.decision == "allow":
                await handle.approve(
                    request_id, scope=body.scope, decided_by=caller.sub, origin=where
                )
            else:
                await handle.deny(
                    request_id, reason=body.reason, decided_by=caller.sub, origin=where
                )
        except UnknownRequestError as e:
            raise await self._unknown_request(handle, e) from None
        audit.info(
            "permission session=%s request=%s decision=%s scope=%s by=%s from=%s agent=%r",
            handle.id,
            request_id,
            body.decision,
            body.scope,
            caller.sub,
            where,
            request.headers.get("user-agent", ""),
        )
        return _json(Accepted(session_id=handle.id), 202)

    async def answer(self, request: Request) -> JSONResponse:
        caller, handle = await self.context.session(request, "approvals:write")
        body = await read_model(request, AnswersBody)
        request_id = request.path_params["request_id"]
        where = origin(request)
        try:
            pending = await handle.pending_question(request_id)
            asked = {q.question for q in pending.questions}
            if unknown := sorted(set(body.answers) - asked):
                raise ApiError(422, f"no such question in {request_id!r}: {unknown[0]!r}")
            await handle.answer(request_id, body.answers, decided_by=caller.sub, origin=where)
        except UnknownRequestError as e:
            raise await self._unknown_request(handle, e) from None
        audit.info(
            "answer session=%s request=%s by=%s from=%s agent=%r",
            handle.id,
            request_id,
            caller.sub,
            where,
            request.headers.get("user-agent", ""),
        )
        return _json(Accepted(session_id=handle.id), 202)

    async def _unknown_request(self, handle: SessionHandle, error: UnknownRequestError) -> ApiError:
        """409 when the session has ended, else 404: it waits for no such request."""
        if not await handle.takes_messages():
            return ApiError(409, str(error))
        return ApiError(404, str(error))

    async def interrupt(self, request: Request) -> JSONResponse:
        _, handle = await self.context.session(request, "sessions:write")
        await self._open(handle)
        await handle.interrupt()
        return _json(Accepted(session_id=handle.id), 202)

    async def compact(self, request: Request) -> JSONResponse:
        _, handle = await self.context.session(request, "sessions:write")
        body = await read_model(request, CompactBody, optional=True)
        await self._open(handle)
        await handle.compact(body.instructions)
        return _json(Accepted(session_id=handle.id), 202)

    async def end(self, request: Request) -> JSONResponse:
        caller, handle = await self.context.session(request, "sessions:write")
        await self._open(handle)
        await handle.end()
        audit.info("end session=%s by=%s from=%s", handle.id, caller.sub, origin(request))
        return _json(Accepted(session_id=handle.id), 202)

    async def inbox(self, request: Request) -> JSONResponse:
        caller = await self.context.caller(request, "sessions:read")
        try:
            waiting = await self.context.client.waiting(
                owner=None if caller.is_admin else caller.sub
            )
        except SearchAttributeMissingError as e:
            raise ApiError(503, str(e)) from None
        return _json(Inbox(waiting=[WaitingRequests.of(w) for w in waiting]))

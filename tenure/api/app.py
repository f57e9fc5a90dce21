"""The ASGI app of `tenure serve`: routes, JSON errors, the page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError, RPCStatusCode

from tenure.api.auth import TokenVerifier
from tenure.api.context import KEEPALIVE_SECONDS, ApiContext
from tenure.api.errors import ApiError, error_response, on_api_error, on_http_error
from tenure.api.events import EventRoutes
from tenure.api.openapi import openapi_document
from tenure.api.sessions import SessionRoutes
from tenure.client import AgentClient

log = logging.getLogger(__name__)
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
}


async def _on_rpc_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if exc.status == RPCStatusCode.NOT_FOUND:
        return error_response(ApiError(404, exc.message))
    log.warning("Temporal refused %s %s: %s", request.method, request.url.path, exc)
    return error_response(ApiError(503, f"Temporal: {exc.message}"))


async def _on_query_failed(request: Request, exc: Exception) -> JSONResponse:
    return error_response(ApiError(503, f"no worker answered for the session: {exc}"))


async def _on_bug(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(ApiError(500, "internal error (see the server's log)"))


async def _openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())


async def _page(request: Request) -> Response:
    name, media_type = PAGE_FILES[request.url.path]
    content = resources.files("tenure.api").joinpath("page", name).read_bytes()
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})


def create_app(
    client: AgentClient,
    verifier: TokenVerifier | None,
    *,
    keepalive: float = KEEPALIVE_SECONDS,
    cors_origins: list[str] | None = None,
) -> Starlette:
    """The API over `client`. `verifier` None means no auth at all (`--insecure-dev`).
    `cors_origins` are the web origins (other than the API's own) whose pages may call it
    from a browser: a UI served elsewhere, a Tauri app."""
    context = ApiContext(client, verifier, keepalive)
    sessions, events = SessionRoutes(context), EventRoutes(context)
    one = "/sessions/{session_id:path}"
    routes = [
        Route("/", _page, methods=["GET"]),
        Route("/app.js", _page, methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
        Route("/inbox", sessions.inbox, methods=["GET"]),
        Route("/sessions", sessions.start, methods=["POST"]),
        Route("/sessions", sessions.list, methods=["GET"]),
        # Longest first: a session id may hold `/` (a subagent's does).
        Route(one + "/permissions/{request_id}", sessions.decide, methods=["POST"]),
        Route(one + "/answers/{request_id}", sessions.answer, methods=["POST"]),
        Route(one + "/transcript", sessions.transcript, methods=["GET"]),
        Route(one + "/messages", sessions.message, methods=["POST"]),
        Route(one + "/interrupt", sessions.interrupt, methods=["POST"]),
        Route(one + "/compact", sessions.compact, methods=["POST"]),
        Route(one + "/events", events.stream, methods=["GET"]),
        Route(one, sessions.detail, methods=["GET"]),
        Route(one, sessions.end, methods=["DELETE"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        context.feeds.close()

    cors = Middleware(
        CORSMiddleware,
        allow_origins=cors_origins or [],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        expose_headers=["Location"],
        max_age=600,
    )
    app = Starlette(
        routes=routes,
        middleware=[cors] if cors_origins else [],
        exception_handlers={
            ApiError: on_api_error,
            HTTPException: on_http_error,
            RPCError: _on_rpc_error,
            WorkflowQueryFailedError: _on_query_failed,
            WorkflowQueryRejectedError: _on_query_failed,
            Exception: _on_bug,
        },
        lifespan=lifespan,
    )
    app.state.context = context
    return app

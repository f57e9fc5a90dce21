"""GET /openapi.json: the API described in OpenAPI 3.1, its schemas from the same
pydantic models the routes validate and answer with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tenure.api.bodies import AnswersBody, CompactBody, DecisionBody, MessageBody
from tenure.api.views import Accepted, Inbox, SessionDetail, SessionList, Started
from tenure.models import SessionConfig, TranscriptPage

SESSION_ID = {
    "name": "session_id",
    "in": "path",
    "required": True,
    "description": "The session id, percent-encoded (a subagent's holds `/`).",
    "schema": {"type": "string"},
}
REQUEST_ID = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    scope: str
    answer: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    params: tuple[dict[str, Any], ...] = ()


def _query(name: str, kind: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": kind},
    }


OPERATIONS = [
    Operation(
        "post",
        "/sessions",
        "Start a session (a SessionConfig, its `prompt` included)",
        "sessions:write",
        Started,
        201,
        SessionConfig,
    ),
    Operation(
        "get",
        "/sessions",
        "The caller's sessions, newest first",
        "sessions:read",
        SessionList,
        params=(
            _query("state", "string", "Only sessions in this state"),
            _query("limit", "integer", "At most this many"),
        ),
    ),
    Operation(
        "get",
        "/sessions/{session_id}",
        "The session's status",
        "sessions:read",
        SessionDetail,
        params=(SESSION_ID,),
    ),
    Operation(
        "get",
        "/sessions/{session_id}/transcript",
        "The session's messages",
        "sessions:read",
        TranscriptPage,
        params=(
            SESSION_ID,
            _query("offset", "integer", "From this message on"),
            _query("limit", "integer", "At most this many messages"),
            _query(
                "full",
                "boolean",
                "Every message ever exchanged, also those "
                "compaction took out of the model's context",
            ),
        ),
    ),
    Operation(
        "post",
        "/sessions/{session_id}/messages",
        "Send a user message",
        "sessions:write",
        Accepted,
        202,
        MessageBody,
        (SESSION_ID,),
    ),
    Operation(
        "post",
        "/sessions/{session_id}/permissions/{request_id}",
        "Decide a permission request (decided_by is the token's sub)",
        "approvals:write",
        Accepted,
        202,
        DecisionBody,
        (SESSION_ID, REQUEST_ID),
    ),
    Operation(
        "post",
        "/sessions/{session_id}/answers/{request_id}",
        "Answer the agent's questions",
        "approvals:write",
        Accepted,
        202,
        AnswersBody,
        (SESSION_ID, REQUEST_ID),
    ),
    Operation(
        "post",
        "/sessions/{session_id}/interrupt",
        "Stop the current turn",
        "sessions:write",
        Accepted,
        202,
        params=(SESSION_ID,),
    ),
    Operation(
        "post",
        "/sessions/{session_id}/compact",
        "Compact the conversation now",
        "sessions:write",
        Accepted,
        202,
        CompactBody,
        (SESSION_ID,),
    ),
    Operation(
        "delete",
        "/sessions/{session_id}",
        "End the session",
        "sessions:write",
        Accepted,
        202,
        params=(SESSION_ID,),
    ),
    Operation(
        "get",
        "/sessions/{session_id}/events",
        "The session's events as server-sent events (id = stream offset, event = type, "
        "data = JSON; Last-Event-ID resumes after it; ends after session_end)",
        "sessions:read",
        None,
        params=(SESSION_ID,),
    ),
    Operation(
        "get",
        "/inbox",
        "Every request waiting for a person that the caller may see",
        "sessions:read",
        Inbox,
    ),
]
ERRORS = {
    "400": "Bad request (not JSON, a bad parameter)",
    "401": "No valid token",
    "403": "The token lacks the scope",
    "404": "No such session or request (or not the caller's)",
    "409": "The session has ended",
    "413": "The body is too large",
    "422": "The body does not validate (`problems` says how)",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.answer is not None:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": _ref(op.answer)}},
        }
    else:
        responses[str(op.status)] = {
            "description": "Server-sent events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    for code, text in ERRORS.items():
        responses[code] = {
            "description": text,
            "content": {"application/json": {"schema": _ref(ErrorBody)}},
        }
    spec: dict[str, Any] = {
        "summary": op.summary,
        "description": f"Needs scope `{op.scope}` (or `admin`).",
        "parameters": list(op.params),
        "responses": responses,
        "security": [{"bearer": []}],
    }
    if op.body is not None:
        spec["requestBody"] = {
            "required": op.body is not CompactBody,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    return spec


class ErrorBody(BaseModel):
    error: str
    problems: list[dict[str, Any]] | None = None


@cache
def openapi_document() -> dict[str, Any]:
    models = {m for op in OPERATIONS for m in (op.body, op.answer) if m is not None}
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models | {ErrorBody}, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tenure",
            "version": "1",
            "description": "Durable agent sessions on Temporal (`tenure serve`).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }

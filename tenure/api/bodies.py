"""Request bodies: read with a size limit, parsed as JSON, validated by pydantic models
that refuse unknown fields."""

from __future__ import annotations

import json
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect, Request

from tenure.api.errors import ApiError

MAX_BODY_BYTES = 1024 * 1024
"""No payload tenure writes may exceed 1 MB; a body larger than that is a 413."""
M = TypeVar("M", bound=BaseModel)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)


class DecisionBody(BaseModel):
    """A person's decision on a permission request; who decided comes from the token."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["allow", "deny"]
    scope: Literal["once", "session"] = "once"
    """`session` remembers an approval for the rest of the session."""
    reason: str | None = None
    """Shown to the model when the call is denied."""


class AnswersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, str]
    """Question text -> chosen label (or free text)."""


class CompactBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instructions: str | None = None


async def read_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes MAX_BODY_BYTES."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise ApiError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    except ClientDisconnect:
        raise ApiError(400, "the client went away before sending the body") from None
    return bytes(body)


async def read_model(request: Request, model: type[M], *, optional: bool = False) -> M:
    """The body as `model`: 400 when it is not JSON, 422 (with the problems) when it does
    not validate. An `optional` body may be left out (then all defaults)."""
    raw = await read_body(request)
    if optional and not raw.strip():
        raw = b"{}"
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, f"the body is not valid JSON: {e}") from None
    try:
        return model.model_validate_json(raw)
    except ValidationError as e:
        raise invalid(model.__name__, e) from None


def invalid(what: str, error: ValidationError) -> ApiError:
    problems = [
        {"loc": list(p["loc"]), "msg": p["msg"], "type": p["type"]}
        for p in error.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(f"{'.'.join(map(str, p['loc'])) or '(body)'}: {p['msg']}" for p in problems)
    return ApiError(422, f"invalid {what}: {summary}"[:1000], problems=problems)

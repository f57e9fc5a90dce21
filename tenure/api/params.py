"""Query parameters and headers, checked: a bad value is a 400, never a 500."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request

from tenure.api.errors import ApiError
from tenure.models import StateKind

STATES: tuple[str, ...] = get_args(StateKind)


def int_param(
    request: Request, name: str, default: int | None, *, most: int | None = None
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ApiError(400, f"`{name}` must be a whole number ≥ 0, not {raw[:40]!r}")
    value = int(raw)
    if most is not None and value > most:
        raise ApiError(400, f"`{name}` must be at most {most}")
    return value


def bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(400, f"`{name}` must be true or false, not {raw[:40]!r}")
    return raw in ("true", "1")


def state_param(request: Request) -> StateKind | None:
    state = request.query_params.get("state") or None
    if state is not None and state not in STATES:
        raise ApiError(400, f"`state` must be one of {', '.join(STATES)}, not {state[:40]!r}")
    return state  # type: ignore[return-value]  # checked against StateKind's values


def resume_offset(request: Request) -> int:
    """Where an event stream starts: right after `Last-Event-ID` (the header a browser
    sends when it reconnects, or `?last_event_id=`), else at offset 0."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or raw.strip() == "":
        return 0
    if not raw.strip().isdigit():
        raise ApiError(400, f"Last-Event-ID must be a stream offset, not {raw[:40]!r}")
    return int(raw) + 1

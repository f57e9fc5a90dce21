"""Errors as the API answers them: JSON `{"error": "..."}` with a fitting status."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse


class ApiError(Exception):
    """A request that cannot be served; `problems` lists what did not validate (422)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        problems: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems
        self.headers = headers


def error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"error": error.message}
    if error.problems is not None:
        body["problems"] = error.problems
    return JSONResponse(body, status_code=error.status, headers=error.headers)


async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed) as JSON too."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

"""Context injectors: worker-side callables that add fresh context to every model call
(by default `environment`; a worker that lists its own has those).

What they return is added inside `model_call`, after the conversation's last cache
breakpoint, so the cached prompt prefix stays the same from call to call; it is never
written to the transcript or to the workflow history. Register them on the worker:
`AgentPlugin(context=[working_directory, current_time, git_status])`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import platform
import sys
from datetime import date, datetime


@dataclass(frozen=True)
class ContextRequest:
    session_id: str
    workspace: str
    turn: int


ContextInjector = Callable[[ContextRequest], Awaitable[str | None]]
"""Returns text for the model, or None to add nothing this time."""


async def environment(request: ContextRequest) -> str:
    """Where the session works and when, to the day (so the text changes once a day at
    most): a worker's context unless it lists its own."""
    system = platform.system() or sys.platform
    return (f"Environment: working directory {request.workspace}; platform {system} "
            f"{platform.release()}; today is {date.today().isoformat()}.")


async def current_time(request: ContextRequest) -> str:
    return f"Current time: {datetime.now().astimezone().isoformat(timespec='seconds')}"


async def working_directory(request: ContextRequest) -> str:
    return f"Working directory: {request.workspace}"


async def git_status(request: ContextRequest) -> str | None:
    """`git status --short --branch` of the workspace, or nothing outside a repository."""
    process = await asyncio.create_subprocess_exec(
        "git", "status", "--short", "--branch",
        cwd=request.workspace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        return None
    return "git status:\n" + out.decode(errors="replace").strip()


async def gather_context(injectors: list[ContextInjector], request: ContextRequest) -> list[str]:
    """Every injector's text, in registration order (they run concurrently)."""
    results = await asyncio.gather(*(inject(request) for inject in injectors))
    return [text for text in results if text]

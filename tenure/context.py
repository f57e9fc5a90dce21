"""Context injectors: worker-side callables that add fresh context to every model call.

What they return is added inside `model_call`, after the conversation's last cache
breakpoint, so the cached prompt prefix stays the same from call to call; it is never
written to the transcript or to the workflow history. Register them on the worker:
`AgentPlugin(context=[working_directory, current_time, git_status])`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ContextRequest:
    session_id: str
    workspace: str
    turn: int


ContextInjector = Callable[[ContextRequest], Awaitable[str | None]]
"""Returns text for the model, or None to add nothing this time."""


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

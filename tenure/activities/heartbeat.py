"""Keep an activity heartbeating while it works, so that interrupts (cancellation) and
worker crashes are noticed within its heartbeat timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from temporalio import activity


@asynccontextmanager
async def heartbeating(
    every: float = 1.0, details: Callable[[], object | None] | None = None
) -> AsyncIterator[None]:
    """`details`, when it gives something, rides along with each beat (an MCP tool's
    progress: the Temporal web UI shows it with the pending activity)."""

    async def beat() -> None:
        # The first beat after `every`: a call that ends sooner costs no heartbeat RPC.
        while True:
            await asyncio.sleep(every)
            now = details() if details else None
            activity.heartbeat(*([] if now is None else [now]))

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()

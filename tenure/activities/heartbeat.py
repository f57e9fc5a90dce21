"""Keep an activity heartbeating while it works, so that interrupts (cancellation) and
worker crashes are noticed within its heartbeat timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity


@asynccontextmanager
async def heartbeating(every: float = 1.0) -> AsyncIterator[None]:
    async def beat() -> None:
        # The first beat after `every`: a call that ends sooner costs no heartbeat RPC.
        while True:
            await asyncio.sleep(every)
            activity.heartbeat()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()

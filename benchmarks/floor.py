"""The engine's floor for benchmarks: a bare Temporal workflow shaped like an interactive
session (wait for a message, run three no-op activities for the two model calls and
the tool call of a turn, wait again), and its worker.

    TEMPORAL_ADDRESS=... python benchmarks/floor.py QUEUE
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker


@activity.defn
async def noop() -> None:
    return None


@workflow.defn(name="FloorSession")
class FloorSession:
    def __init__(self) -> None:
        self.inbox = 0
        self.turns = 0

    @workflow.run
    async def run(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self.inbox > 0)
            self.inbox -= 1
            for _ in range(3):
                await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=10))
            self.turns += 1

    @workflow.signal
    def user_message(self, text: dict[str, str]) -> None:
        self.inbox += 1

    @workflow.query
    def turns_done(self) -> int:
        return self.turns


async def serve(address: str, queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    async with Worker(client, task_queue=queue, workflows=[FloorSession], activities=[noop]):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(os.environ["TEMPORAL_ADDRESS"], sys.argv[1]))

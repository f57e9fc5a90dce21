"""build_worker() and the `tenure worker` / `python -m tenure.workers` entry point."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from tenure import settings
from tenure.context import ContextInjector
from tenure.hooks import Hook
from tenure.models import WorkerPolicy
from tenure.tools import Tool
from tenure.workers.plugin import AgentPlugin


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client with tenure's data converter, for TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE.

    It carries no plugin, so build_worker() can add AgentPlugin with the worker's tools.
    """
    return await Client.connect(
        address or settings.temporal_address(),
        namespace=namespace or settings.temporal_namespace(),
        data_converter=pydantic_data_converter,
    )


def build_worker(
    client: Client,
    *,
    task_queue: str | None = None,
    tools: Iterable[Tool] = (),
    policy: WorkerPolicy | None = None,
    context: Iterable[ContextInjector] = (),
    hooks: Iterable[Hook] = (),
) -> Worker:
    """A worker that runs AgentSession workflows and their activities (for a client made
    by connect(); a client that already has AgentPlugin needs only `Worker(client, ...)`)."""
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue(),
        plugins=[AgentPlugin(tools, policy, context, hooks)],
    )


async def run_worker(address: str | None = None, task_queue: str | None = None) -> None:
    client = await connect(address)
    worker = build_worker(client, task_queue=task_queue)
    logging.getLogger("tenure").info(
        "tenure worker on %s, task queue %s", client.service_client.config.target_host,
        task_queue or settings.task_queue(),
    )
    await worker.run()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run_worker())

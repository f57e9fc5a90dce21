"""build_worker() and the `tenure worker` / `python -m tenure.workers` entry point."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from tenure import settings
from tenure.context import ContextInjector
from tenure.hooks import Hook
from tenure.mcp import McpHub
from tenure.models import McpServerSpec, WorkerPolicy
from tenure.tools import Tool
from tenure.connection import connect
from tenure.workers.logs import log_to_file
from tenure.workers.plugin import HEARTBEAT_FLUSH, AgentPlugin


class AgentWorker:
    """A tenure worker: one Temporal worker on the shared task queue (sessions, model
    calls, hooks) and one on this process's own host queue (the tools of the sessions it
    prepared). Use it like a Temporal Worker: `async with` or `await run()`."""

    def __init__(self, shared: Worker, host: Worker, mcp: McpHub | None = None) -> None:
        self.shared = shared
        self.host = host
        self.mcp = mcp
        """The MCP connections of the sessions this worker hosts (closed when it stops)."""

    @property
    def task_queue(self) -> str:
        return self.shared.task_queue

    @property
    def host_queue(self) -> str:
        return self.host.task_queue

    async def run(self) -> None:
        """Run both until cancelled, or until one fails (which stops the other)."""
        runs = [asyncio.create_task(w.run()) for w in (self.shared, self.host)]
        try:
            await asyncio.gather(*runs)
        finally:
            for run in runs:
                run.cancel()
            await asyncio.gather(*runs, return_exceptions=True)
            await self._close_mcp()

    async def _close_mcp(self) -> None:
        if self.mcp is not None:
            await self.mcp.aclose()

    async def shutdown(self) -> None:
        """Stop a running worker (as Temporal's Worker.shutdown does)."""
        await asyncio.gather(self.shared.shutdown(), self.host.shutdown())

    async def __aenter__(self) -> Self:
        await self.shared.__aenter__()
        try:
            await self.host.__aenter__()
        except BaseException:
            await self.shared.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.host.__aexit__(exc_type, exc, traceback)
        finally:
            await self.shared.__aexit__(exc_type, exc, traceback)
            await self._close_mcp()


def build_worker(
    client: Client,
    *,
    task_queue: str | None = None,
    tools: Iterable[Tool] = (),
    policy: WorkerPolicy | None = None,
    context: Iterable[ContextInjector] | None = None,
    hooks: Iterable[Hook] = (),
    host_timeout: timedelta | None = None,
    deployment: WorkerDeploymentVersion | None = None,
    mcp_servers: dict[str, McpServerSpec] | None = None,
    tools_only: bool = False,
) -> AgentWorker:
    """A worker that runs AgentSession workflows and their activities (for a client made
    by connect(); a client that already has AgentPlugin needs only `Worker(client, ...)`,
    without host routing). `host_timeout` (default env TENURE_HOST_TIMEOUT, 10 s) is how
    long a session waits for this process to take a tool call before moving elsewhere.

    `deployment` (default env TENURE_DEPLOYMENT_NAME / TENURE_BUILD_ID) makes the worker
    a version of a Worker Deployment: sessions auto-upgrade to the deployment's current
    version, so a change to AgentSession must replay (workflow.patched) as README says.

    `mcp_servers`: the worker's own MCP servers (default: the file env TENURE_MCP_CONFIG
    names). `tools_only`: serve only the tools of sessions whose `tool_queue` is
    `task_queue` (preparing them, their tool calls, MCP, closing them): no workflows, no
    model calls, so no model key is needed (a worker on a user's own machine)."""
    version = deployment or settings.deployment_version()
    versioning: dict[str, Any] = {}
    if version is not None:
        versioning["deployment_config"] = WorkerDeploymentConfig(
            version=version,
            use_worker_versioning=True,
            default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
        )
    if tools_only and (hooks or context):
        raise ValueError(
            "A tools-only worker runs no hooks or context injectors: hooks would run on "
            "the shared workers, which do not have them"
        )
    queue = task_queue or settings.task_queue()
    host_queue = f"{queue}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    plugin = AgentPlugin(tools, policy, context, hooks, host_queue, host_timeout, mcp_servers)
    shared = (
        Worker(
            client,
            task_queue=queue,
            activities=plugin.tools_activities,
            max_heartbeat_throttle_interval=HEARTBEAT_FLUSH,
            **versioning,
        )
        if tools_only
        else Worker(client, task_queue=queue, plugins=[plugin], **versioning)
    )
    return AgentWorker(
        shared,
        Worker(
            client,
            task_queue=host_queue,
            activities=plugin.host_activities,
            max_heartbeat_throttle_interval=HEARTBEAT_FLUSH,
            **versioning,
        ),
        plugin.mcp,
    )


async def run_worker(
    address: str | None = None,
    task_queue: str | None = None,
    deployment: WorkerDeploymentVersion | None = None,
    mcp_servers: dict[str, McpServerSpec] | None = None,
    tools_only: bool = False,
    policy: WorkerPolicy | None = None,
) -> None:
    client = await connect(address)
    worker = build_worker(
        client, task_queue=task_queue, deployment=deployment, mcp_servers=mcp_servers,
        tools_only=tools_only, policy=policy,
    )
    logging.getLogger("tenure").info(
        "tenure %sworker on %s, task queue %s, host queue %s, MCP servers: %s",
        "tools-only " if tools_only else "",
        client.service_client.config.target_host, worker.task_queue, worker.host_queue,
        ", ".join(worker.mcp.servers) if worker.mcp and worker.mcp.servers else "none",
    )
    await worker.run()


def main() -> None:
    """`python -m tenure.workers`: one line per log record on the console, tracebacks in
    the log file."""
    path = log_to_file(console=True)
    log = logging.getLogger("tenure")
    log.info("Full log, tracebacks included: %s", path)
    try:
        asyncio.run(run_worker())
    except KeyboardInterrupt:
        pass
    except Exception:
        log.exception("The worker stopped")
        raise SystemExit(1) from None

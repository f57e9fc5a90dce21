"""AgentPlugin: adds tenure to a Temporal Client and Worker in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkerConfig

from tenure import settings
from tenure.activities import (
    CloseSessionActivity,
    HooksActivity,
    ModelCallActivity,
    PrepareSessionActivity,
    ToolCallActivity,
    ToolInputActivity,
    archive_messages,
    generate_title,
)
from tenure.context import ContextInjector, environment
from tenure.hooks import Hook, passing_through
from tenure.mcp import McpHub, worker_mcp_config
from tenure.models import McpServerSpec, WorkerPolicy
from tenure.payloads import data_converter
from tenure.tools import Tool, ToolRegistry, builtin_tools
from tenure.workflows import AgentSession

# Heartbeats carry interrupts to a running tool; flush them at least this often.
HEARTBEAT_FLUSH = timedelta(seconds=1)


class AgentPlugin(SimplePlugin):
    """The pydantic data converter, the AgentSession workflow and its activities.

    `Client.connect(addr, plugins=[AgentPlugin()])` is enough for a client (and a worker
    built from that client inherits the plugin). Extra tools join the built-in ones:
    `AgentPlugin(tools=[my_tool])`; `policy` holds the worker's own rules and roots;
    `context` lists the injectors that add fresh context to every model call (default:
    `tenure.context.environment`, the working directory, platform and date); `hooks`
    the callables (or command hooks) that see and steer sessions at fixed events.

    `host_queue` names a task queue that only this worker process serves (build_worker
    makes one): the sessions it prepares run their tools there, so their workspace and
    background jobs stay on one machine and in one process. A worker that also runs
    `host_activities` on that queue must exist; without a host queue, tools run on any
    worker of the session's task queue.
    """

    def __init__(
        self,
        tools: Iterable[Tool] = (),
        policy: WorkerPolicy | None = None,
        context: Iterable[ContextInjector] | None = None,
        hooks: Iterable[Hook] = (),
        host_queue: str | None = None,
        host_timeout: timedelta | None = None,
        mcp_servers: dict[str, McpServerSpec] | None = None,
    ) -> None:
        self.registry = ToolRegistry([*builtin_tools(), *tools])
        self.policy = policy or WorkerPolicy()
        hooks = passing_through(hooks, self.policy.env_passthrough)
        self.mcp = McpHub(
            worker_mcp_config() if mcp_servers is None else mcp_servers, self.policy
        )
        """The MCP connections of the sessions this worker hosts."""
        self.host_activities: list[Callable[..., Any]] = [
            ToolCallActivity(self.registry, self.policy, self.mcp).tool_call,
            ToolInputActivity(self.registry, self.mcp).check_tool_input,
            CloseSessionActivity(self.mcp).close_session,
        ]
        """The activities that run on the host queue (and on the shared one, for sessions
        prepared by a worker without a host queue)."""
        self.tools_activities: list[Callable[..., Any]] = [
            PrepareSessionActivity(
                self.registry,
                self.policy,
                [h.spec for h in hooks],
                host_queue,
                host_timeout or settings.host_timeout(),
                self.mcp,
            ).prepare_session,
            *self.host_activities,
        ]
        """What a tools-only worker serves on its queue: preparing sessions (it becomes
        their host) and their tools; no workflows, no model calls."""
        super().__init__(
            "tenure.AgentPlugin",
            data_converter=data_converter(),
            workflows=[AgentSession],
            activities=[
                *self.tools_activities[:1],
                HooksActivity(hooks).run_hooks,
                ModelCallActivity(
                    self.registry, [environment] if context is None else list(context)
                ).model_call,
                archive_messages,
                generate_title,
                *self.host_activities,
            ],
        )

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        config = super().configure_worker(config)
        current = config.get("max_heartbeat_throttle_interval")
        if current is None or current > HEARTBEAT_FLUSH:
            config["max_heartbeat_throttle_interval"] = HEARTBEAT_FLUSH
        return config

"""The `prepare_session` activity: what the worker tells a session once, at its start."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from tenure.models import (
    HookSpec,
    SessionSetup,
    SessionSetupRequest,
    ToolInfo,
    WorkerPolicy,
)
from tenure.agent_files import project_instructions, read_agent_files
from tenure.models.agents import AGENT_TOOL_ALIASES
from tenure.mcp import McpHub
from tenure.models.search import SEARCH_ATTRIBUTES
from tenure.permissions import validate_rules
from tenure.tools import ToolRegistry


class PrepareSessionActivity:
    def __init__(
        self,
        registry: ToolRegistry,
        policy: WorkerPolicy,
        hooks: list[HookSpec],
        host_queue: str | None,
        host_timeout: timedelta,
        mcp: McpHub,
    ) -> None:
        self.mcp = mcp
        self.registry = registry
        self.policy = policy
        self.hooks = hooks
        self.host_queue = host_queue
        self.host_timeout = host_timeout

    @activity.defn(name="prepare_session")
    async def prepare_session(self, request: SessionSetupRequest) -> SessionSetup:
        """Resolve the workspace, check it against the worker's roots, and describe the
        session's tools and the worker's policy; refuse what cannot work."""
        roots = [Path(r).expanduser().resolve() for r in self.policy.workspace_roots]
        directories = []
        for raw in [request.workspace, *request.additional_directories]:
            path = Path(raw).expanduser().resolve()
            if not path.is_dir():
                raise ApplicationError(
                    f"Workspace {raw!r} is not a directory on worker", non_retryable=True
                )
            if roots and not any(path.is_relative_to(root) for root in roots):
                raise ApplicationError(
                    f"Workspace {raw!r} is outside this worker's workspace roots "
                    f"({', '.join(map(str, roots))})",
                    non_retryable=True,
                )
            directories.append(str(path))
        unknown = [n for n in request.tools if self.registry.get(n) is None]
        if unknown:
            raise ApplicationError(
                f"Unknown tools {unknown}; this worker offers {self.registry.names()}",
                non_retryable=True,
            )
        try:
            validate_rules(request.rules)
        except ValueError as e:
            raise ApplicationError(str(e), non_retryable=True) from e
        tools = [
            ToolInfo(name=t.name, kind=t.kind, concurrent=getattr(t, "concurrent", t.kind == "read"))
            for n in request.tools if (t := self.registry.get(n))
        ]
        agents, notices = (
            read_agent_files(Path(directories[0]))
            if any(n in AGENT_TOOL_ALIASES for n in request.tools) else ({}, [])
        )
        mcp_tools, mcp_servers = await self.mcp.prepare(
            request.session_id, request.mcp_servers, directories[0]
        )
        return SessionSetup(
            agents=agents,
            notices=notices,
            instructions=project_instructions(Path(directories[0])),
            workspace=directories[0],
            additional_directories=directories[1:],
            tools=tools,
            policy=self.policy,
            hooks=self.hooks,
            host_queue=self.host_queue,
            host_timeout=self.host_timeout,
            search_attributes=await _registered_search_attributes(),
            mcp_tools=mcp_tools,
            mcp_servers=mcp_servers,
        )


SEARCH_ATTRIBUTES_TTL = 60.0
"""Seconds a worker trusts its list of the namespace's search attributes."""
_known: dict[str, tuple[float, list[str]]] = {}


async def _registered_search_attributes() -> list[str]:
    """Which of tenure's search attributes the namespace has (none if we may not ask);
    asked of the server at most once a minute per namespace, not at each session start."""
    client = activity.client()
    cached = _known.get(client.namespace)
    if cached and time.monotonic() - cached[0] < SEARCH_ATTRIBUTES_TTL:
        return cached[1]
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError as e:
        activity.logger.warning("Cannot list search attributes, not keeping them: %s", e)
        return []
    names = [name for name in SEARCH_ATTRIBUTES if name in response.custom_attributes]
    _known[client.namespace] = (time.monotonic(), names)
    return names

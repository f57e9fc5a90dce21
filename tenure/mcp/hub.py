"""The MCP servers of the sessions a worker hosts: connections opened when a session is
prepared (or on first use), shared by the session's calls, reconnected when they broke,
closed at the session's end and after idle time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tenure.mcp.config import expanded
from tenure.mcp.errors import ConnectionLost, McpUnavailable
from tenure.mcp.names import safe, server_of, tool_name
from tenure.models import (
    McpServerInfo,
    McpServerSpec,
    McpToolSpec,
    ToolKind,
    ToolRequest,
    ToolResult,
    WorkerPolicy,
)
from tenure.tools.environment import agent_environment

if TYPE_CHECKING:  # the SDK loads when a worker first connects to a server
    import mcp_types as types

    from tenure.mcp.connection import McpConnection

log = logging.getLogger(__name__)

IDLE_ENV = "TENURE_MCP_IDLE"
DEFAULT_IDLE = 600.0
"""Seconds a connection may go unused before it is closed (the next call reopens it)."""
NO_SESSION_COMMANDS = (
    "this worker does not let sessions start MCP servers that run commands "
    "(worker policy allow_session_mcp_commands)"
)


@dataclass
class McpProgress:
    """The last progress an MCP server reported for a call."""

    progress: float | None = None
    total: float | None = None
    message: str | None = None

    async def update(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress, self.total, self.message = progress, total, message

    def details(self) -> dict[str, object] | None:
        """For the activity's heartbeat: None until the server reported progress."""
        if self.progress is None:
            return None
        return {"progress": self.progress, "total": self.total, "message": self.message}


@dataclass
class McpTool:
    """A tool of a session's server, as the host calls it."""

    connection: McpConnection
    name: str
    """The server's own name for it."""
    spec: McpToolSpec


@dataclass
class SessionServers:
    """One session's servers on this host."""

    connections: dict[str, McpConnection] = field(default_factory=dict)
    """By safe server name."""
    refused: dict[str, McpServerInfo] = field(default_factory=dict)
    """Servers the session named that this host will not connect to, and why."""
    sources: dict[str, Literal["worker", "session"]] = field(default_factory=dict)
    reported: list[McpToolSpec] | None = None
    """The tool list the session was last told."""

    _index: tuple[tuple[int, ...], dict[str, McpTool]] | None = None

    def tools(self) -> dict[str, McpTool]:
        """The session's tools by full name (worked out again only when a server's tool
        list was read again)."""
        key = tuple(c.tools_read for c in self.connections.values())
        if self._index is None or self._index[0] != key:
            found: dict[str, McpTool] = {}
            for connection in self.connections.values():
                for tool in connection.tools:
                    spec = _spec(connection.name, tool)
                    found.setdefault(spec.name, McpTool(connection, tool.name, spec))
            self._index = (key, found)
        return self._index[1]

    def specs(self) -> list[McpToolSpec]:
        return [t.spec for t in self.tools().values()]


class McpHub:
    def __init__(
        self,
        servers: Mapping[str, McpServerSpec],
        policy: WorkerPolicy,
        idle_seconds: float | None = None,
    ) -> None:
        self.servers = {safe(name): spec for name, spec in servers.items()}
        """The worker's own servers, which every session on it may use."""
        self.policy = policy
        self.idle_seconds = idle_seconds or float(os.environ.get(IDLE_ENV, DEFAULT_IDLE))
        self._sessions: dict[str, SessionServers] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def prepare(
        self, session_id: str, own: Mapping[str, McpServerSpec], workspace: str
    ) -> tuple[list[McpToolSpec], list[McpServerInfo]]:
        """Connect to the session's servers (the worker's and its own); their tools, and
        how each server came up. A server that cannot start is reported, not raised."""
        session = self._session(session_id, own, workspace)
        problems: dict[str, str] = {}

        async def open_one(name: str, connection: McpConnection) -> None:
            try:
                await connection.ensure_open()
            except McpUnavailable as e:
                problems[name] = str(e)

        await asyncio.gather(*(open_one(n, c) for n, c in session.connections.items()))
        infos = [
            McpServerInfo(
                name=name,
                transport=connection.spec.transport,
                source=session.sources[name],
                tools=[_spec(name, t).name for t in connection.tools] if name not in problems else [],
                error=problems.get(name),
            )
            for name, connection in session.connections.items()
        ]
        session.reported = session.specs()
        return session.reported, [*infos, *session.refused.values()]

    async def call(self, request: ToolRequest) -> ToolResult | McpTool:
        """The tool to run for the request, connecting to its server if need be; or the
        error result that says why it cannot run."""
        session = self._session(request.session_id, request.mcp_servers, request.workspace)
        server = server_of(request.tool_name) or ""
        connection = session.connections.get(server)
        if connection is None:
            refused = session.refused.get(server)
            why = refused.error if refused else f"this session has no MCP server {server!r}"
            return ToolResult(content=f"Cannot call {request.tool_name}: {why}.", is_error=True)
        try:
            await connection.ensure_open()
        except McpUnavailable as e:
            return ToolResult(content=str(e), is_error=True)
        tool = session.tools().get(request.tool_name)
        if tool is None:
            names = ", ".join(t.name for t in connection.tools) or "none"
            return ToolResult(
                content=f"MCP server {server} has no tool for {request.tool_name} (its tools: {names}).",
                is_error=True,
            )
        return tool

    def input_problem(self, request: ToolRequest) -> str | None:
        """What is wrong with an MCP call's input by its tool's schema, if this host knows
        the tool (None otherwise: its server checks it anyway)."""
        session = self._sessions.get(request.session_id)
        tool = session.tools().get(request.tool_name) if session else None
        if tool is None:
            return None
        import jsonschema

        try:
            validator = jsonschema.validators.validator_for(tool.spec.input_schema)
            errors = list(validator(tool.spec.input_schema).iter_errors(request.input))
        except jsonschema.SchemaError:
            return None  # the server's schema is its own business
        if not errors:
            return None
        problems = "; ".join(
            f"{'.'.join(map(str, e.absolute_path)) or 'input'}: {e.message}" for e in errors[:5]
        )
        return f"Invalid input for {request.tool_name}: {problems}"

    async def run(
        self, tool: McpTool, request: ToolRequest, progress: McpProgress | None = None
    ) -> ToolResult:
        """Call the tool. A connection found broken is opened again and the call sent
        again when it cannot have reached the server, or when the tool only reads; a
        state-changing call that was in flight gets "outcome unknown". `progress` keeps
        the server's last progress notification."""
        from mcp.shared.exceptions import MCPError

        from tenure.mcp.results import tool_result

        connection = tool.connection
        if tool.spec.kind != "read":  # it must not be sent into a connection just dead
            try:
                await connection.ensure_answering()
            except McpUnavailable as e:
                return ToolResult(content=str(e), is_error=True)
        for attempt in (1, 2):
            try:
                on_progress = progress.update if progress else None
                return tool_result(await connection.call(tool.name, request.input, on_progress))
            except ConnectionLost as lost:
                if lost.sent and tool.spec.kind != "read":
                    return _unknown_outcome(request.tool_name, str(lost))
                if attempt == 2:
                    return ToolResult(content=f"{request.tool_name} failed: {lost}", is_error=True)
                log.info("%s: %s; reconnecting", request.tool_name, lost)
                try:
                    await connection.reopen(lost)
                except McpUnavailable as e:
                    return ToolResult(content=f"{request.tool_name} failed: {lost}. {e}", is_error=True)
            except MCPError as e:
                return ToolResult(content=f"MCP error {e.code}: {e.message}", is_error=True)
        raise AssertionError("unreachable")

    async def changes(self, session_id: str, *, again: bool = False) -> list[McpToolSpec] | None:
        """The session's tool list, when it changed since the session was last told (a
        server said so, or came back with other tools), or `again` (whatever it is, if
        the session has MCP servers); None otherwise."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        for connection in session.connections.values():
            if connection.list_changed:
                with contextlib.suppress(Exception):
                    await connection.refresh_tools()
        specs = session.specs()
        unchanged = session.reported is None or specs == session.reported
        session.reported = specs
        if unchanged and not (again and session.connections):
            return None
        return specs

    async def close(self, session_id: str) -> int:
        """Close the session's connections; how many were open."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return 0
        open_ = [c for c in session.connections.values() if c.alive]
        await asyncio.gather(*(c.close() for c in session.connections.values()))
        return len(open_)

    async def aclose(self) -> None:
        """Close every connection (the worker stops)."""
        if self._reaper is not None:
            self._reaper.cancel()
        await asyncio.gather(*(self.close(s) for s in list(self._sessions)))

    # ---- sessions -----------------------------------------------------------------------

    def _session(
        self, session_id: str, own: Mapping[str, McpServerSpec], workspace: str
    ) -> SessionServers:
        session = self._sessions.get(session_id)
        if session is not None:
            return session
        session = SessionServers()
        worker_env = dict(os.environ)
        agent_env = agent_environment(self.policy.env_passthrough)
        for name, spec in self.servers.items():
            # The worker's own entries may name its secrets (a token in a header).
            session.connections[name] = self._connection(name, expanded(spec, worker_env), workspace)
            session.sources[name] = "worker"
        for raw_name, spec in own.items():
            name = safe(raw_name)
            problem = None
            if name in session.connections:
                problem = f"the worker has an MCP server named {name} already"
            elif spec.transport == "stdio" and not self.policy.allow_session_mcp_commands:
                problem = NO_SESSION_COMMANDS
            if problem:
                session.refused[name] = McpServerInfo(
                    name=name, transport=spec.transport, source="session", error=problem
                )
                continue
            # A session's entries see no secret of the worker's.
            session.connections[name] = self._connection(name, expanded(spec, agent_env), workspace)
            session.sources[name] = "session"
        self._sessions[session_id] = session
        self._start_reaper()
        return session

    def _connection(self, name: str, spec: McpServerSpec, workspace: str) -> McpConnection:
        from tenure.mcp.connection import McpConnection

        env = {**agent_environment(self.policy.env_passthrough), **spec.env}
        return McpConnection(name, spec, env, workspace)

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap(), name="mcp idle connections")

    async def _reap(self) -> None:
        """Close connections that no call used for idle_seconds."""
        while self._sessions:
            await asyncio.sleep(min(self.idle_seconds / 4, 30.0))
            for session in list(self._sessions.values()):
                for connection in session.connections.values():
                    if await connection.close_if_idle(self.idle_seconds):
                        log.info("Closed idle MCP connection %s", connection.name)


def tool_kind(tool: types.Tool) -> ToolKind:
    """`read` for a tool the server marks read-only; anything else may change things."""
    hints = tool.annotations
    return "read" if hints is not None and hints.read_only_hint else "execute"


def _spec(server: str, tool: types.Tool) -> McpToolSpec:
    return McpToolSpec(
        name=tool_name(server, tool.name),
        description=tool.description or tool.title or "",
        input_schema=tool.input_schema,
        kind=tool_kind(tool),
    )


def _unknown_outcome(name: str, why: str) -> ToolResult:
    return ToolResult(
        content=f"The outcome of this {name} call is unknown ({why}): it may or may not have "
        "taken effect. The connection is opened again for the next call; check the current "
        "state before trying again.",
        is_error=True,
    )

"""MCP servers in the format of Claude Code's `.mcp.json`, and the MCP tools a session's
host offers: what crosses between the workflow and the host worker."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tenure.models.kinds import ToolKind

McpTransport = Literal["stdio", "http", "sse"]
MCP_PREFIX = "mcp__"
"""MCP tools are named `mcp__SERVER__TOOL`."""


class McpServerSpec(BaseModel):
    """One entry of `mcpServers`: `{"command", "args", "env"}` (stdio, `"type": "stdio"`
    optional) or `{"type": "http", "url", "headers"}` (streamable HTTP; `"sse"` for the
    older SSE transport). `${VAR}` and `${VAR:-default}` in command, args, env, url and
    headers are expanded on the worker that connects."""

    model_config = ConfigDict(extra="forbid", strict=True)
    type: McpTransport | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> McpServerSpec:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio MCP server needs a `command`")
        if self.transport != "stdio" and not self.url:
            raise ValueError(f"an {self.transport} MCP server needs a `url`")
        return self

    @property
    def transport(self) -> McpTransport:
        return self.type or ("stdio" if self.command is not None else "http")


class McpConfigFile(BaseModel):
    """A `.mcp.json` file: `{"mcpServers": {"NAME": {...}}}`."""

    model_config = ConfigDict(extra="ignore")
    mcpServers: dict[str, McpServerSpec] = Field(default_factory=dict)  # noqa: N815 - the file's name


class McpToolSpec(BaseModel):
    """An MCP tool as the model is offered it, named `mcp__SERVER__TOOL`."""

    name: str
    description: str = ""
    input_schema: dict[str, Any]
    kind: ToolKind
    """`read` when the server marks the tool `readOnlyHint`, else `execute` (asks)."""

    def definition(self) -> dict[str, Any]:
        """The Anthropic-shaped tool definition."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


class McpServerInfo(BaseModel):
    """How a session's MCP server came up on its host."""

    name: str
    transport: McpTransport
    source: Literal["worker", "session"]
    tools: list[str] = Field(default_factory=list)
    """Full tool names (`mcp__NAME__TOOL`)."""
    error: str | None = None
    """Why the server is not available (it could not start, the policy refuses it)."""


def unavailable_reason(tool_name: str, servers: list[McpServerInfo]) -> str | None:
    """Why an MCP tool is missing, when its server did not come up: for the model."""
    for server in servers:
        if server.error and tool_name.startswith(f"{MCP_PREFIX}{server.name}__"):
            return server.error
    return None

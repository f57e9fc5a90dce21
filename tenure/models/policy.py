"""The worker's own policy: rules and workspace roots that no session can widen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models.agents import DEFAULT_AGENT_DEPTH


class WorkerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow: list[str] = Field(default_factory=list)
    """Allow rules for every session on this worker (a session's deny rules still win)."""
    deny: list[str] = Field(default_factory=list)
    """Deny rules for every session; `tool_call` checks them again before running a tool."""
    workspace_roots: list[str] = Field(default_factory=list)
    """Directories a session's workspace must be inside; empty means anywhere."""
    max_agent_depth: int = Field(default=DEFAULT_AGENT_DEPTH, ge=0)
    """How deep subagents may nest: 2 lets a subagent start subagents of its own, whose
    own cannot; 0 allows none."""
    env_passthrough: list[str] = Field(default_factory=list)
    """Names of secret environment variables (`*_API_KEY`, `*_TOKEN`, ...) that commands
    the agent runs still get; every other secret is withheld from them."""
    allow_session_mcp_commands: bool = False
    """Whether a session's own `mcp_servers` may start stdio servers (run commands) on
    this worker; its HTTP servers are always allowed."""

"""Inputs and outputs of the activities: what crosses from the workflow to the workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenure.models.agents import AgentDefinition
from tenure.models.config import PermissionRules, ThinkingConfig
from tenure.models.hooks import HookSpec
from tenure.models.kinds import ToolKind
from tenure.models.mcp import McpServerInfo, McpServerSpec, McpToolSpec
from tenure.models.messages import ImageBlock, Message, Usage
from tenure.models.policy import WorkerPolicy



class ToolInfo(BaseModel):
    model_config = ConfigDict(frozen=True)
    """Frozen: the sessions on a worker share one copy of each (tenure.workflows.shared)."""

    name: str
    kind: ToolKind
    concurrent: bool = False
    """The tool changes nothing on the host: its calls may run beside each other."""


class SessionSetupRequest(BaseModel):
    workspace: str
    additional_directories: list[str] = Field(default_factory=list)
    tools: list[str]
    rules: PermissionRules = Field(default_factory=PermissionRules)
    """The session's rules, checked for syntax."""
    session_id: str = ""
    mcp_servers: dict[str, McpServerSpec] = Field(default_factory=dict)
    """The session's own MCP servers (SessionConfig.mcp_servers)."""


class ProjectInstructions(BaseModel):
    """A file of instructions for agents that the project keeps (CLAUDE.md, AGENTS.md)."""

    path: str
    text: str

    def reminder(self) -> str:
        """How the model gets them: in the first user message, before the task."""
        return (f"<system-reminder>\nThe project's instructions, from {self.path}. Follow "
                f"them; they override default behaviour where they differ.\n\n{self.text}\n"
                "</system-reminder>")


class SessionSetup(BaseModel):
    """What the worker tells the workflow once, at session start (recorded in history)."""

    workspace: str
    """The workspace as an absolute, resolved path on the worker."""
    additional_directories: list[str]
    tools: list[ToolInfo]
    policy: WorkerPolicy = Field(default_factory=WorkerPolicy)
    hooks: list[HookSpec] = Field(default_factory=list)
    host_queue: str | None = None
    """The task queue of the worker process that prepared the session. The session's
    tools run there, where its workspace and background jobs are; None when the worker
    has no host queue (then any worker on the session's task queue runs them)."""
    host_timeout: timedelta = timedelta(seconds=10)
    """How long a tool call may wait for the host to take it before the session moves to
    another worker (the host is then taken to be gone)."""
    search_attributes: list[str] = Field(default_factory=list)
    """tenure's custom search attributes that the namespace has registered; the session
    keeps only these up to date (upserting an unregistered one would fail it)."""
    agents: dict[str, AgentDefinition] = Field(default_factory=dict)
    """Subagent types defined in the workspace (`.claude/agents/*.md`), by name."""
    notices: list[str] = Field(default_factory=list)
    """What the session should be told at its start (a subagent file it cannot use)."""
    instructions: list[ProjectInstructions] = Field(default_factory=list)
    """CLAUDE.md and AGENTS.md at the workspace's root, as the session started."""
    mcp_tools: list[McpToolSpec] = Field(default_factory=list)
    """The MCP tools the host connected to, offered in addition to `tools`; a tool call's
    result replaces them when a server said its list changed."""
    mcp_servers: list[McpServerInfo] = Field(default_factory=list)
    """The session's MCP servers as they came up on the host (with why, if one did not)."""


class ModelRequest(BaseModel):
    model: str
    system_prompt: str | None
    messages: list[Message]
    tools: list[str]
    """Names of the worker's tools to offer; the worker supplies their schemas."""
    max_tokens: int
    thinking: ThinkingConfig | None = None
    turn: int
    session_id: str
    context: list[str] = Field(default_factory=list)
    """Fresh context from the worker's injectors; sent after the cached prefix, never stored."""
    earlier_replies: int = 0
    """Model replies that compaction replaced with a summary (they are not in `messages`)."""
    summary_request: bool = False
    """This call writes a compaction's summary (the last user message asks for it)."""


class ModelCallInput(BaseModel):
    """What the workflow sends to `model_call`. The whole transcript is not in it, so a
    turn adds only its new messages to the history, not the whole conversation: the
    activity's worker keeps a copy of each session's transcript, and `tail` brings it up
    to date (the messages since the previous model call, when they are small). A worker
    whose copy does not fit reads the first `transcript_length` messages through the
    `transcript` query instead."""

    session_id: str
    run_id: str
    transcript_length: int
    workspace: str
    model: str
    system_prompt: str | None
    tools: list[str]
    max_tokens: int
    turn: int
    append_system_prompt: str | None = None
    thinking: ThinkingConfig | None = None
    mcp_tools: list[McpToolSpec] | None = None
    """The session's MCP tools, offered after `tools` (their schemas come from the host):
    sent when they changed since the run's previous model call, else None (the worker
    keeps a copy, or asks the session's `mcp_tools` query)."""
    mcp_tools_revision: int = 0
    """Which version of the run's MCP tool list the call offers (0: none)."""
    compactions: int = 0
    """Compactions so far: the transcript the activity reads changed at each."""
    earlier_replies: int = 0
    """Model replies that compaction replaced with a summary."""
    summary_request: str | None = None
    """Set for the call that writes a compaction's summary: the user message that asks
    for it, sent after the transcript."""
    stream_output: bool = True
    """Publish the model's text as it streams (someone follows the session); retries
    and failures are published either way."""
    revision: int = 0
    """This call's number in the run (0: the session does not send tails)."""
    tail: list[Message] | None = None
    """Messages `tail_from` to `transcript_length`: what changed since the call numbered
    `tail_base` (None when that is too large to send)."""
    tail_from: int = 0
    tail_base: int = 0
    agents: dict[str, str] = Field(default_factory=dict)
    """The session's own subagent types, name to description (when it has the `Agent`
    tool): listed in the tool's description with the built-in `general-purpose`."""


class ModelResponse(BaseModel):
    message: Message
    stop_reason: str
    usage: Usage
    cost_usd: float = 0.0
    """What the call cost, by the worker's prices (tenure.models.catalog)."""


MALFORMED_INPUT_KEY = "__malformed_input__"
"""A tool_use whose input JSON did not parse carries the raw text under this key, so the
tool layer can tell the model exactly what was wrong."""


class ToolRequest(BaseModel):
    session_id: str
    tool_name: str
    tool_use_id: str
    input: dict[str, Any]
    workspace: str
    additional_directories: list[str] = Field(default_factory=list)
    mcp_servers: dict[str, McpServerSpec] = Field(default_factory=dict)
    """For an MCP tool: the session's own servers, so any host can (re)connect."""


class ToolResult(BaseModel):
    content: str
    is_error: bool = False
    images: list[ImageBlock] = Field(default_factory=list)
    """Images the model sees with the text (an MCP tool's image content)."""
    mcp_tools: list[McpToolSpec] | None = None
    """The session's MCP tools, when a server's list changed since the host last said."""


class TitleRequest(BaseModel):
    session_id: str
    model: str
    """The session's model: the title comes from a small one of the same provider."""
    prompt: str
    reply: str


class TitleResult(BaseModel):
    title: str
    """Empty when the model gave none."""

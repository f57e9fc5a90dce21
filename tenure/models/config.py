"""The workflow input: how one agent session is set up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tenure.models.agents import AgentDefinition
from tenure.models.budget import Budget
from tenure.models.model_names import checked_model

from tenure.models.mcp import McpServerSpec

PermissionMode = Literal["default", "acceptEdits", "plan", "bypassPermissions"]
SessionMode = Literal["interactive", "autonomous"]

DEFAULT_TOOLS = [
    "Read", "Write", "Edit", "Bash", "Glob", "Grep", "BashOutput", "KillShell", "WebFetch",
    "TodoWrite", "AskUserQuestion", "PresentFile", "Agent",
]
"""Every built-in tool, as Claude Code offers its whole belt (WebFetch and the state-
changing tools ask in default mode)."""
TITLE_CHARS = 80
"""A title taken from the first prompt is its first line, cut to this many characters."""


class PermissionRules(BaseModel):
    """Rules in Claude Code's syntax: `Bash`, `Bash(npm run test:*)`, `Read(./src/**)`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    allow: list[str] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)


class CompactionConfig(BaseModel):
    """When the conversation is compacted: the model writes a summary that replaces the
    older messages, and sees it with the most recent turns verbatim."""

    model_config = ConfigDict(extra="forbid", strict=True)
    auto: bool = True
    at: float = Field(default=0.8, gt=0, le=1)
    """Compact when the last model call's input tokens (cache reads and writes included)
    pass this share of the context window."""
    context_window: int | None = Field(default=None, ge=1)
    """Tokens; None = the model's own window (tenure.models.catalog)."""


class ThinkingConfig(BaseModel):
    """Extended thinking, in Anthropic's shapes: `{"type": "adaptive"}` (the model
    decides), `{"type": "enabled", "budget_tokens": N}`, `{"type": "disabled"}`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    type: Literal["adaptive", "enabled", "disabled"]
    budget_tokens: int | None = Field(default=None, ge=1024)

    @model_validator(mode="after")
    def _budget_with_enabled(self) -> ThinkingConfig:
        if (self.type == "enabled") != (self.budget_tokens is not None):
            raise ValueError("budget_tokens goes with type `enabled`, and only with it")
        return self


class SessionConfig(BaseModel):
    """Everything a session needs; every field but `model` has a default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    model: str
    """`anthropic:NAME`, a bare Claude model name, `openai:NAME` (any OpenAI-compatible
    Chat Completions endpoint), or `scripted:PATH`."""
    prompt: str | None = None
    """The first user message; without it the session waits for `user_message`."""
    system_prompt: str | None = None
    """Replaces tenure's default system prompt (tenure.providers.system_prompt)."""
    append_system_prompt: str | None = None
    """Added after the system prompt, the default or `system_prompt`."""
    tools: list[str] = Field(default_factory=lambda: list(DEFAULT_TOOLS))
    """Names of tools from the worker's registry that the model may call."""
    permission_mode: PermissionMode = "default"
    permissions: PermissionRules = Field(default_factory=PermissionRules)
    workspace: str = "."
    """Absolute directory on the tool worker where tools run; `.` means the worker's cwd."""
    additional_directories: list[str] = Field(default_factory=list)
    """Further absolute directories the tools may touch besides the workspace."""
    mode: SessionMode = "interactive"
    max_turns: int = Field(default=50, ge=1)
    """Most model calls that one user message may lead to before the run is stopped."""
    max_tokens: int = Field(default=8192, ge=1)
    """Most output tokens per model call."""
    compaction: CompactionConfig = Field(default_factory=CompactionConfig)
    thinking: ThinkingConfig | None = None
    """Extended thinking (Anthropic models; others ignore it). None: the model's default."""
    mcp_servers: dict[str, McpServerSpec] = Field(default_factory=dict)
    """The session's own MCP servers (the inner object of `.mcp.json`'s `mcpServers`),
    besides those its worker offers; stdio ones only where the worker policy sets
    `allow_session_mcp_commands`. Their tools are `mcp__NAME__TOOL`."""
    tool_queue: str | None = None
    """The task queue of the worker that hosts the session's tools (`tenure worker
    --tools-only --task-queue NAME`); while it is offline the session waits for it."""
    title: str | None = None
    """Shown in session lists and the web UI; without it, the first prompt's first line."""
    budget: Budget = Field(default_factory=Budget)
    """What the session and its subagents may spend on model calls (`set_budget`
    changes it)."""
    agents: dict[str, AgentDefinition] = Field(default_factory=dict)
    """Subagent types the `Agent` tool may start, by name (besides the workspace's
    `.claude/agents/*.md` and the built-in `general-purpose`; these win on a clash)."""

    @field_validator("tools")
    @classmethod
    def _agent_tool_name(cls, tools: list[str]) -> list[str]:
        """`Task` is Claude Code's older name of the `Agent` tool."""
        return ["Agent" if t == "Task" else t for t in tools]

    @field_validator("model")
    @classmethod
    def _known_provider(cls, model: str) -> str:
        return checked_model(model)

    @model_validator(mode="after")
    def _room_for_thinking(self) -> SessionConfig:
        budget = self.thinking.budget_tokens if self.thinking else None
        if budget is not None and budget >= self.max_tokens:
            raise ValueError(
                f"thinking.budget_tokens ({budget}) must be below max_tokens ({self.max_tokens})"
            )
        return self

    def display_title(self) -> str | None:
        """The title, or the first line of the first prompt (cut short), or None."""
        if self.title and self.title.strip():
            return self.title.strip()[:200]
        first = (self.prompt or "").lstrip().partition("\n")[0].strip()
        if not first:
            return None
        return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"

"""What crosses between the workflow and the worker's hooks."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

HookEvent = Literal[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "PostAssistantResponse",
    "TurnComplete",
    "SessionStart",
    "SessionEnd",
    "PreCompact",
    "PostCompact",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "PermissionRequest",
    "Notification",
    "PostToolBatch",
]
TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest")
CLAUDE_CODE_NAMES: dict[str, HookEvent] = {"TurnComplete": "Stop"}
"""tenure's events that Claude Code knows by another name: a hook registered under
either runs, and a command hook is told Claude Code's."""


class HookSpec(BaseModel):
    """A registered hook as the workflow sees it: enough to know whether to call out."""

    event: HookEvent
    matcher: str | None = None
    """A regex searched in the tool name (`Read|Write`, `^mcp__`); None matches all."""

    def applies(self, event: HookEvent, tool_name: str | None) -> bool:
        if self.event not in (event, CLAUDE_CODE_NAMES.get(event)):
            return False
        return self.matcher is None or re.search(self.matcher, tool_name or "") is not None


class HookInput(BaseModel):
    event: HookEvent
    session_id: str
    workspace: str
    turn: int = 0
    tool_name: str | None = None
    tool_use_id: str | None = None
    tool_input: dict[str, Any] | None = None
    tool_output: str | None = None
    """The tool's result text (PostToolUse, PostToolUseFailure)."""
    prompt: str | None = None
    """The user's message (UserPromptSubmit)."""
    assistant_text: str | None = None
    """The model's reply text (PostAssistantResponse)."""
    trigger: Literal["auto", "manual"] | None = None
    """What started a compaction (PreCompact, PostCompact)."""
    custom_instructions: str | None = None
    """The `compact` signal's instructions (PreCompact)."""
    summary: str | None = None
    """The summary the model wrote (PostCompact)."""
    permission_mode: str | None = None
    """The session's permission mode."""
    message: str | None = None
    """What the session waits for (Notification)."""
    agent_id: str | None = None
    """The subagent's session id (SubagentStart, SubagentStop)."""
    agent_type: str | None = None
    """The subagent's type (SubagentStart, SubagentStop)."""


class HookResult(BaseModel):
    """What a hook decides. Every field is optional; several hooks' results combine
    (deny > ask > allow; rewrites chain in registration order; contexts join)."""

    decision: Literal["allow", "deny", "ask"] | None = None
    reason: str | None = None
    """Why; the model sees it when a tool call or a prompt is denied."""
    updated_input: dict[str, Any] | None = None
    updated_output: str | None = None
    updated_prompt: str | None = None
    additional_context: list[str] = Field(default_factory=list)

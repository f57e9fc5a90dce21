"""Subagents: the types a session may delegate to, and the `Agent` tool's input.

A type is defined as Claude Code defines one: in `SessionConfig.agents` (the shape of its
`agents` option) or in a markdown file under `.claude/agents/` in the workspace (YAML
frontmatter `name`, `description`, `tools`, `model`; the body is the prompt). The
built-in `general-purpose` is always there.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tenure.models.model_names import checked_model

AGENT_TOOL = "Agent"
AGENT_TOOL_ALIASES = ("Agent", "Task")
"""`Task` is the tool's older name in Claude Code; a model may still call it so."""
SUBAGENT_ID_MARK = "/agent-"
"""A subagent's session id is its parent's, then this, then its number (from 1)."""
DEFAULT_AGENT_DEPTH = 2
"""How deep subagents may nest unless the worker policy says otherwise."""
MODEL_ALIASES = {
    "sonnet": "claude-sonnet-4-5",
    "opus": "claude-opus-4-1",
    "haiku": "claude-haiku-4-5",
}
"""Claude Code's short model names in a definition; `inherit` (or none) is the parent's."""


class AgentDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    description: str
    """When to use this type: the model reads it in the Agent tool's description."""
    prompt: str
    """The subagent's system prompt (in place of tenure's default)."""
    tools: list[str] | None = None
    """Tools it may use (None: all of its parent's). Never more than its parent has."""
    model: str | None = None
    """A model string, `sonnet`/`opus`/`haiku`, or None/`inherit`: the parent's."""

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str | None) -> str | None:
        if model is None or model == "inherit" or model in MODEL_ALIASES:
            return model
        return checked_model(model)


GENERAL_PURPOSE_NAME = "general-purpose"
GENERAL_PURPOSE = AgentDefinition(
    description=(
        "General-purpose agent for researching complex questions, searching for code and "
        "carrying out multi-step tasks on its own. Use it when a search or a piece of work "
        "would take many steps, or to run several independent pieces of work at once."
    ),
    prompt=(
        "You are a subagent: another agent gave you a task. Do it completely on your own, "
        "using the tools you have, then reply with a concise report of what you found or "
        "did: that report is all the other agent sees. Include file paths and details it "
        "needs; leave out the steps it does not."
    ),
)


class AgentInput(BaseModel):
    """The `Agent` tool's input (Claude Code's)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    """A short (3-5 word) description of the task."""
    prompt: str = Field(min_length=1)
    """The task for the subagent, with everything it needs to know."""
    subagent_type: str | None = None
    """Which type of agent to use (default: general-purpose)."""

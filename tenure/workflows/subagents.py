"""How a subagent is set up from its parent (deterministic: the workflow calls it).

A child gets its parent's workspace, permission mode and rules (the session's own rules
included) and at most its parent's tools; its definition can narrow the tools, never
widen them or the rules.
"""

from __future__ import annotations

from pydantic import ValidationError

from tenure.models import PermissionRules, SessionConfig, SessionSetup
from tenure.models.budget import Budget
from tenure.models.agents import (
    AGENT_TOOL,
    AGENT_TOOL_ALIASES,
    GENERAL_PURPOSE,
    GENERAL_PURPOSE_NAME,
    MODEL_ALIASES,
    AgentDefinition,
    AgentInput,
)
from tenure.models.validation import validation_problems

DEFAULT_TYPE = GENERAL_PURPOSE_NAME


def agent_types(config: SessionConfig, setup: SessionSetup | None) -> dict[str, AgentDefinition]:
    """The types a session may start, by name: the built-in, the workspace's files, then
    the session's own (each later one wins on a clash)."""
    return {DEFAULT_TYPE: GENERAL_PURPOSE, **(setup.agents if setup else {}), **config.agents}


def child_config(
    parent: SessionConfig,
    setup: SessionSetup,
    session_rules: list[str],
    definition: AgentDefinition,
    task: AgentInput,
    may_delegate: bool,
    budget: Budget,
) -> SessionConfig:
    """The child's SessionConfig; ValueError when the definition names a model that is
    not one (the model sees why)."""
    wanted = None if definition.tools is None else {
        AGENT_TOOL if t in AGENT_TOOL_ALIASES else t for t in definition.tools
    }
    tools = [t for t in parent.tools if wanted is None or t in wanted]
    if not may_delegate:
        tools = [t for t in tools if t != AGENT_TOOL]
    rules = parent.permissions
    try:
        return SessionConfig(
            model=_model(definition.model, parent.model),
            prompt=task.prompt,
            system_prompt=definition.prompt,
            tools=tools,
            permission_mode=parent.permission_mode,
            permissions=PermissionRules(
                allow=[*rules.allow, *session_rules], ask=list(rules.ask), deny=list(rules.deny)
            ),
            workspace=setup.workspace,
            additional_directories=list(setup.additional_directories),
            mode="autonomous",
            max_turns=parent.max_turns,
            max_tokens=parent.max_tokens,
            compaction=parent.compaction,
            title=task.description,
            agents=parent.agents,
            budget=budget,
            mcp_servers=parent.mcp_servers,
            tool_queue=parent.tool_queue,
        )
    except ValidationError as e:
        raise ValueError(validation_problems(e)) from e


def _model(asked: str | None, parent: str) -> str:
    """A definition's model: the parent's for none or `inherit`; Claude Code's short
    names for a Claude parent (another provider's parent keeps its own model)."""
    if asked is None or asked == "inherit":
        return parent
    if asked in MODEL_ALIASES:
        claude = parent.startswith(("claude-", "anthropic:"))
        return MODEL_ALIASES[asked] if claude else parent
    return asked


def own_types(config: SessionConfig, setup: SessionSetup | None) -> dict[str, str]:
    """The session's own types (the workspace's and its config's), name to description:
    what a model call carries for the Agent tool's description (the worker adds the
    built-in one, so a session with none of its own carries nothing)."""
    types = {**(setup.agents if setup else {}), **config.agents}
    return {name: d.description for name, d in types.items()}

"""tenure: a durable agent harness for AI employees, on Temporal.

The public names below are imported on first use, not with the package: the workflow
sandbox imports `tenure` for every session it runs, and it must not load the client,
worker and tool layers (with their I/O libraries) each time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenure.client import (
        AgentClient,
        LiveOutput,
        SessionHandle,
        SessionInfo,
        StreamedEvent,
        UnknownRequestError,
        WaitingSession,
    )
    from tenure.mcp import load_mcp_config
    from tenure.models import (
        McpServerSpec,
        PermissionRules,
        SessionConfig,
        SessionOutcome,
        SessionStatus,
    )
    from tenure.tools import Tool, ToolContext, ToolError, tool
    from tenure.workers import AgentPlugin, build_worker

_HOMES = {
    "tenure.client": ["AgentClient", "LiveOutput", "SessionHandle", "SessionInfo",
                      "StreamedEvent", "UnknownRequestError", "WaitingSession"],
    "tenure.mcp": ["load_mcp_config"],
    "tenure.models": ["McpServerSpec", "PermissionRules", "SessionConfig", "SessionOutcome",
                      "SessionStatus"],
    "tenure.tools": ["Tool", "ToolContext", "ToolError", "tool"],
    "tenure.workers": ["AgentPlugin", "build_worker"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AgentClient", "AgentPlugin", "LiveOutput", "McpServerSpec", "PermissionRules", "SessionConfig",
    "SessionHandle", "SessionInfo", "SessionOutcome", "SessionStatus", "StreamedEvent",
    "Tool", "ToolContext", "ToolError", "UnknownRequestError", "WaitingSession",
    "build_worker", "load_mcp_config", "tool",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'tenure' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

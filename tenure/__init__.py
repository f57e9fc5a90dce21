"""tenure: a durable agent harness for AI employees, on Temporal."""

from tenure.client import AgentClient, SessionHandle, SessionInfo, UnknownRequestError
from tenure.models import PermissionRules, SessionConfig, SessionOutcome, SessionStatus
from tenure.tools import Tool, ToolContext, ToolError, tool
from tenure.workers import AgentPlugin, build_worker

__all__ = [
    "AgentClient",
    "AgentPlugin",
    "PermissionRules",
    "SessionConfig",
    "SessionHandle",
    "SessionInfo",
    "SessionOutcome",
    "SessionStatus",
    "Tool",
    "ToolContext",
    "ToolError",
    "UnknownRequestError",
    "build_worker",
    "tool",
]

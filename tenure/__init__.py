"""tenure: a durable agent harness for AI employees, on Temporal."""

from tenure.client import (
    AgentClient,
    LiveOutput,
    SessionHandle,
    SessionInfo,
    StreamedEvent,
    UnknownRequestError,
    WaitingSession,
)
from tenure.models import PermissionRules, SessionConfig, SessionOutcome, SessionStatus
from tenure.tools import Tool, ToolContext, ToolError, tool
from tenure.workers import AgentPlugin, build_worker

__all__ = [
    "AgentClient",
    "AgentPlugin",
    "LiveOutput",
    "PermissionRules",
    "SessionConfig",
    "SessionHandle",
    "SessionInfo",
    "SessionOutcome",
    "SessionStatus",
    "StreamedEvent",
    "Tool",
    "ToolContext",
    "ToolError",
    "UnknownRequestError",
    "WaitingSession",
    "build_worker",
    "tool",
]

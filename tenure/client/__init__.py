"""What services and UIs call: AgentClient and SessionHandle."""

from tenure.client.client import (
    AgentClient,
    SearchAttributeMissingError,
    SessionInfo,
    WaitingSession,
)
from tenure.client.live import LiveOutput
from tenure.client.session import SessionHandle, StreamedEvent, UnknownRequestError

__all__ = [
    "AgentClient",
    "LiveOutput",
    "SearchAttributeMissingError",
    "SessionHandle",
    "SessionInfo",
    "StreamedEvent",
    "UnknownRequestError",
    "WaitingSession",
]

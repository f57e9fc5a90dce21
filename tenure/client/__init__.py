"""What services and UIs call: AgentClient and SessionHandle."""

from tenure.client.client import AgentClient, SessionInfo
from tenure.client.session import SessionHandle, UnknownRequestError

__all__ = ["AgentClient", "SessionHandle", "SessionInfo", "UnknownRequestError"]

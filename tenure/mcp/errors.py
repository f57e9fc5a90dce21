"""How an MCP connection fails (kept apart from the SDK, which loads only when a worker
connects to a server)."""

from __future__ import annotations


class McpUnavailable(Exception):
    """The server cannot be started or reached."""


class ConnectionLost(Exception):
    """The connection broke under a call. `sent`: the request may have reached the
    server (it was in flight), so a state-changing call's outcome is unknown."""

    def __init__(self, message: str, *, sent: bool, opened: int) -> None:
        super().__init__(message)
        self.sent = sent
        self.opened = opened
        """The connection's `opened` when the call was made (see McpConnection.reopen)."""

"""Whose sessions a caller may see: those it started (search attribute TenureOwner), or
every one with `admin`. Someone else's session looks exactly like one that does not
exist (404), so ids cannot be probed."""

from __future__ import annotations

from collections import OrderedDict

from temporalio.service import RPCError, RPCStatusCode

from tenure.api.auth import Caller
from tenure.api.errors import ApiError
from tenure.client import AgentClient, SessionHandle
from tenure.models.search import TENURE_OWNER, TENURE_PARENT

KNOWN_OWNERS = 10_000
"""Owners remembered per API process (a session's owner never changes)."""


class Tenancy:
    def __init__(self, client: AgentClient) -> None:
        self.client = client
        self._owners: OrderedDict[str, str | None] = OrderedDict()

    def remember(self, session_id: str, owner: str | None) -> None:
        self._owners[session_id] = owner
        self._owners.move_to_end(session_id)
        while len(self._owners) > KNOWN_OWNERS:
            self._owners.popitem(last=False)

    async def owner(self, session_id: str) -> str | None:
        """Who started the session (a subagent belongs to its parent's owner); 404 when
        there is no such session."""
        if session_id in self._owners:
            return self._owners[session_id]
        try:
            description = await self.client.get(session_id).workflow.describe()
        except RPCError as e:
            if e.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise _unknown(session_id) from None
            raise
        if description.workflow_type != "AgentSession":
            raise _unknown(session_id)
        attributes = description.typed_search_attributes
        owner = attributes.get(TENURE_OWNER)
        parent = attributes.get(TENURE_PARENT)
        if owner is None and parent:
            owner = await self.owner(parent)
        self.remember(session_id, owner)
        return owner

    async def session(self, caller: Caller, session_id: str) -> SessionHandle:
        """The session, if the caller may see it; else 404."""
        owner = await self.owner(session_id)
        if not caller.is_admin and owner != caller.sub:
            raise _unknown(session_id)
        return self.client.get(session_id)


def _unknown(session_id: str) -> ApiError:
    return ApiError(404, f"no session {session_id!r}")

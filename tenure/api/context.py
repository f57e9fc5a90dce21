"""What every route of one API process shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from tenure.api.auth import Caller, Scope, TokenVerifier, authenticate
from tenure.api.feeds import Feeds
from tenure.api.tenancy import Tenancy
from tenure.client import AgentClient, SessionHandle

KEEPALIVE_SECONDS = 15.0
"""An event stream with nothing to say sends a comment this often (proxies close idle
connections)."""


@dataclass
class ApiContext:
    client: AgentClient
    verifier: TokenVerifier | None
    """None only under `--insecure-dev`: then every caller is an admin named `dev`."""
    keepalive: float = KEEPALIVE_SECONDS
    tenancy: Tenancy = field(init=False)
    feeds: Feeds = field(init=False)

    def __post_init__(self) -> None:
        self.tenancy = Tenancy(self.client)
        self.feeds = Feeds(self.client)

    async def caller(self, request: Request, scope: Scope) -> Caller:
        """Who calls (401 without a valid token), if it holds `scope` (else 403)."""
        caller = await authenticate(request, self.verifier)
        caller.require(scope)
        return caller

    async def session(self, request: Request, scope: Scope) -> tuple[Caller, SessionHandle]:
        """The caller and the session of the path, which it may see (else 404)."""
        caller = await self.caller(request, scope)
        session_id = request.path_params["session_id"]
        return caller, await self.tenancy.session(caller, session_id)

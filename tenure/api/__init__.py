"""The HTTP API and its web page (`tenure serve`): a client of Temporal, nothing more.

Every session stays an `AgentSession` workflow; the API verifies the caller's JWT, keeps
each caller to the sessions it started (search attribute TenureOwner) and turns routes
into the calls of `tenure.client`. Replicas share nothing but Temporal.
"""

from tenure.api.app import create_app
from tenure.api.auth import Caller, TokenVerifier
from tenure.api.keys import DevKey, KeySet

__all__ = ["Caller", "DevKey", "KeySet", "TokenVerifier", "create_app"]

"""Who calls: a bearer JWT verified with public keys (signature, `iss`, `aud`, `exp`,
`nbf`, `sub`), and the scopes it grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import jwt
from starlette.requests import Request

from tenure.api.errors import ApiError
from tenure.api.keys import KeySource, KeyUnavailableError

Scope = Literal["sessions:read", "sessions:write", "approvals:write", "admin"]
LEEWAY = timedelta(seconds=30)
"""Clock skew tolerated on `exp` and `nbf`."""
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tenure"'}


@dataclass(frozen=True)
class Caller:
    sub: str
    """Who: the token's subject, the owner of the sessions it starts."""
    scopes: frozenset[str]
    expires_at: float | None = None
    """When the token stops holding (epoch seconds, leeway included); a stream of events
    that outlives it ends there."""

    @property
    def is_admin(self) -> bool:
        """Sees and acts on every session, and holds every scope."""
        return "admin" in self.scopes

    def require(self, scope: Scope) -> None:
        if not (self.is_admin or scope in self.scopes):
            raise ApiError(
                403,
                f"this needs scope {scope}; the token grants "
                f"{' '.join(sorted(self.scopes)) or 'none'}",
            )


@dataclass
class TokenVerifier:
    keys: KeySource
    issuer: str
    audience: str
    leeway: timedelta = LEEWAY

    async def verify(self, token: str) -> Caller:
        """The caller a token names; ApiError 401 for any token that does not hold."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self.keys.key(kid if isinstance(kid, str) else None)
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except KeyUnavailableError as e:
            raise ApiError(503, str(e)) from e
        except jwt.InvalidTokenError as e:
            raise ApiError(401, f"invalid token: {e}", headers=_CHALLENGE) from e
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise ApiError(
                401, "invalid token: `scope` must be a space-separated string", headers=_CHALLENGE
            )
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise ApiError(
                401, "invalid token: `sub` must be a non-empty string", headers=_CHALLENGE
            )
        expires_at = float(claims["exp"]) + self.leeway.total_seconds()
        return Caller(sub=sub, scopes=frozenset(scope.split()), expires_at=expires_at)


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer ...`, else of `?access_token=` (a browser's
    EventSource cannot set headers)."""
    header = request.headers.get("authorization")
    if header is not None:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "the Authorization header must be `Bearer <token>`", headers=_CHALLENGE
            )
        return token.strip()
    return request.query_params.get("access_token") or None


INSECURE_CALLER = Caller(sub="dev", scopes=frozenset({"admin"}))
"""Everyone, under `tenure serve --insecure-dev` (on 127.0.0.1 only)."""


async def authenticate(request: Request, verifier: TokenVerifier | None) -> Caller:
    """The caller of `request`; with no verifier (insecure dev mode) everyone is admin."""
    if verifier is None:
        return INSECURE_CALLER
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "no token: send `Authorization: Bearer <JWT>`", headers=_CHALLENGE)
    return await verifier.verify(token)

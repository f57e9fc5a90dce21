"""Fixtures and helpers of the HTTP API tests: a token issuer with keys of its own (a
JWKS file), the API served by uvicorn on a free port, and a reader of server-sent events.
Test modules import the fixtures they use."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tenure import AgentClient
from tenure.api import KeySet, TokenVerifier, create_app
from tenure.devserver import free_port

ISSUER = "https://issuer.test"
AUDIENCE = "tenure-api"
ALL = "sessions:read sessions:write approvals:write"


class Issuer:
    """A trusted issuer: RSA keys in a JWKS file, tokens signed with them."""

    def __init__(self, jwks: Path) -> None:
        self.jwks = jwks
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = self.add_key()

    def add_key(self, *, publish: bool = True) -> str:
        kid = f"key-{uuid.uuid4().hex[:8]}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.publish()
        return kid

    def publish(self, kids: list[str] | None = None) -> None:
        keys = [
            {
                **json.loads(RSAAlgorithm.to_jwk(self.keys[k].public_key())),
                "kid": k,
                "alg": "RS256",
                "use": "sig",
            }
            for k in (kids if kids is not None else list(self.keys))
        ]
        self.jwks.write_text(json.dumps({"keys": keys}))

    def token(
        self,
        sub: str = "alice",
        scope: str = ALL,
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        lifetime: timedelta = timedelta(minutes=10),
        not_before: timedelta = timedelta(0),
        **claims: Any,
    ) -> str:
        now = datetime.now(timezone.utc)
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "scope": scope,
            "iat": now,
            "nbf": now + not_before,
            "exp": now + lifetime,
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        kid = kid or self.kid
        return jwt.encode(payload, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def headers(self, sub: str = "alice", scope: str = ALL) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, scope)}"}


@dataclass
class Api:
    """The API served on a free port, and an HTTP client for it."""

    base_url: str
    http: httpx.AsyncClient
    app: Any
    issuer: Issuer
    servers: list[uvicorn.Server] = field(default_factory=list)

    def url(self, session_id: str, tail: str = "") -> str:
        return f"/sessions/{quote(session_id, safe='')}{tail}"

    @property
    def feeds_following(self) -> int:
        count: int = self.app.state.context.feeds.following()
        return count


async def serve(app: Any) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    server.task = task  # type: ignore[attr-defined]
    return server, f"http://127.0.0.1:{port}"


async def stop(server: uvicorn.Server) -> None:
    server.should_exit = True
    await server.task  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    return Issuer(tmp_path_factory.mktemp("jwks") / "jwks.json")


@pytest.fixture(scope="session")
async def api(agent_client: AgentClient, issuer: Issuer) -> AsyncIterator[Api]:
    verifier = TokenVerifier(KeySet(str(issuer.jwks), min_refresh=0), ISSUER, AUDIENCE)
    app = create_app(agent_client, verifier, keepalive=1.0)
    server, base_url = await serve(app)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield Api(base_url, http, app, issuer)
    await stop(server)


@dataclass(frozen=True)
class Sse:
    id: int | None
    event: str
    data: Any


async def read_sse(
    http: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    stop: Callable[[Sse], bool] = lambda e: False,
    on_open: Callable[[], Awaitable[None]] | None = None,
) -> list[Sse]:
    """The events of an event stream until it ends (or `stop` holds for one, which is
    kept), parsed as a browser's EventSource does; comments are left out."""
    events: list[Sse] = []
    async with http.stream("GET", url, headers=headers, timeout=60) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        if on_open:
            await on_open()
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "data" in fields:
                    event = Sse(
                        int(fields["id"]) if "id" in fields else None,
                        fields.get("event", "message"),
                        json.loads(fields["data"]),
                    )
                    events.append(event)
                    if stop(event):
                        return events
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
    return events

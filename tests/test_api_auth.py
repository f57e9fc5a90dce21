"""The HTTP API's auth: every token that does not hold is a 401, a missing scope a 403;
keys come from a JWKS (refreshed on an unknown kid) or the development key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from api_support import ALL, AUDIENCE, ISSUER, Api, Issuer, api, issuer, serve, stop  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from tenure import AgentClient
from tenure.api import DevKey, KeySet, TokenVerifier, create_app
from tenure.api.errors import ApiError
from tenure.api.settings import AuthSettingsError, verifier_from_env
from tenure.cli import app as cli


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_no_token_no_access(api: Api) -> None:
    response = await api.http.get("/sessions")
    assert response.status_code == 401
    assert "error" in response.json()
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "what, claims",
    [
        ("expired", {"lifetime": timedelta(minutes=-5)}),
        ("not valid yet", {"not_before": timedelta(minutes=5)}),
        ("wrong issuer", {"iss": "https://evil.test"}),
        ("wrong audience", {"aud": "someone-else"}),
        ("no expiry", {"exp": None}),
        ("no subject", {"sub": None}),
        ("a scope that is not a string", {"scope": ["admin"]}),
    ],
)
async def test_tokens_that_do_not_hold_are_refused(
    api: Api, what: str, claims: dict[str, object]
) -> None:
    sub = claims.pop("sub", "alice")
    token = api.issuer.token(sub, **claims)  # type: ignore[arg-type]
    response = await api.http.get("/sessions", headers=bearer(token))
    assert response.status_code == 401, (what, response.text)
    assert response.json()["error"].startswith("invalid token")


async def test_clock_skew_within_the_leeway_is_tolerated(api: Api) -> None:
    token = api.issuer.token(not_before=timedelta(seconds=10))
    assert (await api.http.get("/sessions", headers=bearer(token))).status_code == 200


async def test_a_forged_signature_is_refused(api: Api) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = api.issuer.token("alice", "admin", key=forger)  # the trusted kid, another key
    assert (await api.http.get("/sessions", headers=bearer(token))).status_code == 401
    # A real token whose claims were changed after signing.
    header, payload, signature = api.issuer.token("alice", "sessions:read").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "admin"
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await api.http.get("/sessions", headers=bearer(f"{header}.{tampered}.{signature}"))
    assert response.status_code == 401


async def test_algorithm_confusion_and_none_are_refused(api: Api) -> None:
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "scope": "admin", "exp": 4102444800},
        None,
        algorithm="none",
        headers={"kid": api.issuer.kid},
    )
    assert (await api.http.get("/sessions", headers=bearer(unsigned))).status_code == 401
    # HS256 keyed with the public key's text: the classic confusion of key types (made by
    # hand: PyJWT itself refuses to sign so).
    public = api.issuer.jwks.read_bytes()
    header = {"alg": "HS256", "typ": "JWT", "kid": api.issuer.kid}
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "scope": "admin", "exp": 4102444800}
    signing_input = b".".join(b64(json.dumps(part).encode()) for part in (header, claims))
    signature = b64(hmac.new(public, signing_input, hashlib.sha256).digest())
    confused = (signing_input + b"." + signature).decode()
    assert (await api.http.get("/sessions", headers=bearer(confused))).status_code == 401


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


async def test_garbage_and_malformed_headers_are_refused(api: Api) -> None:
    for header in ("Bearer not-a-jwt", "Basic YWxpY2U6eA==", "Bearer", "Bearer a.b.c"):
        response = await api.http.get("/sessions", headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_a_missing_scope_is_forbidden(api: Api) -> None:
    read_only = api.issuer.headers("alice", "sessions:read")
    response = await api.http.post("/sessions", headers=read_only, json={"model": "scripted:x"})
    assert response.status_code == 403
    assert "sessions:write" in response.json()["error"]
    no_scope = api.issuer.headers("alice", "")
    assert (await api.http.get("/sessions", headers=no_scope)).status_code == 403
    assert (await api.http.get("/inbox", headers=no_scope)).status_code == 403
    writer = api.issuer.headers("alice", "sessions:write")
    assert (await api.http.get("/sessions", headers=writer)).status_code == 403
    approve = await api.http.post(
        "/sessions/x/permissions/y", headers=writer, json={"decision": "allow"}
    )
    assert approve.status_code == 403
    admin = api.issuer.headers("root", "admin")
    assert (await api.http.get("/sessions", headers=admin)).status_code == 200


async def test_a_browser_may_pass_its_token_in_the_query(api: Api) -> None:
    token = api.issuer.token("alice", "sessions:read")
    assert (await api.http.get("/sessions", params={"access_token": token})).status_code == 200
    assert (await api.http.get("/sessions", params={"access_token": "x"})).status_code == 401


async def test_the_page_and_the_openapi_document_are_public(api: Api) -> None:
    page = await api.http.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    document = (await api.http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert {"/sessions", "/sessions/{session_id}/events", "/inbox"} <= set(document["paths"])
    assert "SessionConfig" in document["components"]["schemas"]


async def test_a_rotated_key_is_fetched_on_its_first_use(api: Api) -> None:
    new_kid = api.issuer.add_key(publish=False)
    token = api.issuer.token("alice", "sessions:read", kid=new_kid)
    assert (await api.http.get("/sessions", headers=bearer(token))).status_code == 401
    api.issuer.publish()  # the issuer publishes its new key
    assert (await api.http.get("/sessions", headers=bearer(token))).status_code == 200


async def test_a_jwks_url_is_read_and_cached(agent_client: AgentClient, issuer: Issuer) -> None:
    """The key set from an http URL (the issuer's jwks_uri), fetched once for many calls."""
    fetches: list[str] = []

    async def jwks_app(scope: dict[str, object], receive: object, send: object) -> None:
        assert scope["type"] in ("http", "lifespan")
        if scope["type"] == "lifespan":
            return
        fetches.append(str(scope["path"]))
        body = issuer.jwks.read_bytes()
        await send(
            {
                "type": "http.response.start",
                "status": 200,  # type: ignore[operator]
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    jwks_server, jwks_url = await serve(jwks_app)
    app = create_app(agent_client, TokenVerifier(KeySet(jwks_url + "/jwks"), ISSUER, AUDIENCE))
    server, base_url = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            for _ in range(3):
                response = await http.get("/sessions", headers=issuer.headers("alice", ALL))
                assert response.status_code == 200
        assert fetches == ["/jwks"]
    finally:
        await stop(server)
        await stop(jwks_server)


def test_the_development_key_is_trusted_only_without_a_jwks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENURE_DEV_KEY", str(tmp_path / "dev.pem"))
    monkeypatch.delenv("TENURE_JWT_JWKS", raising=False)
    monkeypatch.delenv("TENURE_JWT_ISSUER", raising=False)
    monkeypatch.delenv("TENURE_JWT_AUDIENCE", raising=False)
    result = CliRunner().invoke(cli, ["token", "--sub", "carol", "--scope", "sessions:read"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert (tmp_path / "dev.pem").stat().st_mode & 0o077 == 0  # only its user reads the key

    caller = asyncio.run(verifier_from_env().verify(token))
    assert (caller.sub, caller.scopes) == ("carol", frozenset({"sessions:read"}))

    monkeypatch.setenv("TENURE_JWT_JWKS", str(tmp_path / "none.json"))
    with pytest.raises(AuthSettingsError):
        verifier_from_env()  # a JWKS needs the issuer and audience too
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [DevKey.generate().public_jwk]}))
    monkeypatch.setenv("TENURE_JWT_JWKS", str(tmp_path / "jwks.json"))
    monkeypatch.setenv("TENURE_JWT_ISSUER", "tenure-dev")
    monkeypatch.setenv("TENURE_JWT_AUDIENCE", "tenure")
    with pytest.raises(ApiError) as refused:
        asyncio.run(verifier_from_env().verify(token))
    assert refused.value.status == 401


def test_the_token_command_refuses_unknown_scopes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENURE_DEV_KEY", str(tmp_path / "dev.pem"))
    result = CliRunner().invoke(cli, ["token", "--sub", "carol", "--scope", "sessions:rread"])
    assert result.exit_code == 2
    assert "sessions:rread" in result.output


def test_insecure_dev_is_for_the_loopback_only() -> None:
    result = CliRunner().invoke(cli, ["serve", "--insecure-dev", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "127.0.0.1" in result.output


async def test_insecure_dev_lets_everyone_in_as_admin(agent_client: AgentClient) -> None:
    server, base_url = await serve(create_app(agent_client, None))
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await http.get("/sessions")).status_code == 200
    finally:
        await stop(server)


async def test_other_origins_may_call_only_when_listed(
    agent_client: AgentClient, issuer: Issuer
) -> None:
    verifier = TokenVerifier(KeySet(str(issuer.jwks)), ISSUER, AUDIENCE)
    app = create_app(agent_client, verifier, cors_origins=["tauri://localhost"])
    server, base_url = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            preflight = {
                "Origin": "tauri://localhost",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            }
            allowed = await http.options("/sessions", headers=preflight)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "tauri://localhost"
            other = await http.options(
                "/sessions", headers={**preflight, "Origin": "https://evil.test"}
            )
            assert "access-control-allow-origin" not in other.headers
            listed = await http.get(
                "/sessions", headers={"Origin": "tauri://localhost", **issuer.headers("alice", ALL)}
            )
            assert listed.status_code == 200
            assert listed.headers["access-control-allow-origin"] == "tauri://localhost"
    finally:
        await stop(server)

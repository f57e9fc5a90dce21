"""Bad requests get the right status and a JSON error, never a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, api, issuer  # noqa: F401
from bad_inputs import BAD_CONFIGS
from conftest import ScriptWriter, state_is, text, tool_use, wait_for

from tenure import AgentClient
from tenure.api.bodies import MAX_BODY_BYTES

CONFIG_BODIES = [(what, args[0], word) for what, args, word in BAD_CONFIGS if len(args) == 1]


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return body


@pytest.mark.parametrize("what, config, word", CONFIG_BODIES, ids=[c[0] for c in CONFIG_BODIES])
async def test_a_session_config_that_does_not_validate_is_a_422(
    api: Api, what: str, config: Any, word: str
) -> None:
    response = await api.http.post(
        "/sessions", headers=api.issuer.headers(), content=json.dumps(config)
    )
    body = assert_error(response, 422)
    assert word.lower() in body["error"].lower(), body
    assert body["problems"] and all({"loc", "msg", "type"} <= set(p) for p in body["problems"])


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"model": "scripted:x"', b"nul"])
async def test_a_body_that_is_not_json_is_a_400(api: Api, raw: bytes) -> None:
    response = await api.http.post("/sessions", headers=api.issuer.headers(), content=raw)
    assert_error(response, 400)


async def test_an_oversized_body_is_a_413(api: Api) -> None:
    big = json.dumps({"model": "scripted:x", "prompt": "x" * MAX_BODY_BYTES}).encode()
    assert_error(await api.http.post("/sessions", headers=api.issuer.headers(), content=big), 413)

    async def chunks() -> Any:  # no Content-Length: counted as it streams in
        for _ in range(3):
            yield b" " * (MAX_BODY_BYTES // 2)

    streamed = await api.http.post("/sessions", headers=api.issuer.headers(), content=chunks())
    assert_error(streamed, 413)


async def test_unknown_sessions_routes_and_parameters(api: Api) -> None:
    headers = api.issuer.headers()
    body = assert_error(await api.http.get(api.url("no-such-session"), headers=headers), 404)
    assert "no-such-session" in body["error"]
    for method, tail, payload in [
        ("GET", "/transcript", None),
        ("GET", "/events", None),
        ("POST", "/messages", {"text": "x"}),
        ("POST", "/permissions/r", {"decision": "allow"}),
        ("POST", "/answers/r", {"answers": {}}),
        ("POST", "/interrupt", None),
        ("POST", "/compact", None),
        ("DELETE", "", None),
    ]:
        response = await api.http.request(
            method, api.url("no-such-session", tail), headers=headers, json=payload
        )
        assert_error(response, 404)
    assert_error(await api.http.get("/nothing-here", headers=headers), 404)
    assert_error(await api.http.put("/sessions", headers=headers), 405)
    assert_error(await api.http.get("/sessions?state=sleepy", headers=headers), 400)
    assert_error(await api.http.get("/sessions?limit=-1", headers=headers), 400)
    assert_error(await api.http.get("/sessions?limit=100000", headers=headers), 400)


async def test_bad_bodies_and_requests_of_a_live_session(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "echo hi"})], [text("done")]])
    created = await api.http.post(
        "/sessions",
        headers=api.issuer.headers(),
        json={"model": model, "prompt": "go", "workspace": str(workspace)},
    )
    session_id = created.json()["session_id"]
    handle = agent_client.get(session_id)
    request_id = (
        (await wait_for(handle, state_is("waiting_for_permission")))
        .pending_permissions[0]
        .request_id
    )
    headers = api.issuer.headers()
    decide = api.url(session_id, f"/permissions/{request_id}")
    for body, status in [
        ({"decision": "maybe"}, 422),
        ({}, 422),
        ({"decision": "allow", "scope": "forever"}, 422),
        ({"decision": "allow", "extra": 1}, 422),
        (["allow"], 422),
        ("allow", 422),
        (None, 422),
    ]:
        assert_error(await api.http.post(decide, headers=headers, content=json.dumps(body)), status)
    assert_error(await api.http.post(decide, headers=headers, content=b"{"), 400)
    unknown = api.url(session_id, "/permissions/not-a-request")
    assert_error(await api.http.post(unknown, headers=headers, json={"decision": "allow"}), 404)
    question = api.url(session_id, f"/answers/{request_id}")  # a permission, not a question
    assert_error(await api.http.post(question, headers=headers, json={"answers": {"a": "b"}}), 404)
    messages = api.url(session_id, "/messages")
    for body in ({"text": ""}, {"text": 5}, {"message": "hi"}, {"text": "hi", "from": "x"}):
        assert_error(await api.http.post(messages, headers=headers, json=body), 422)
    compact = api.url(session_id, "/compact")
    assert_error(await api.http.post(compact, headers=headers, json={"instructions": 3}), 422)
    for last_id in ("abc", "-1", "1.5"):
        events = await api.http.get(
            api.url(session_id, "/events"), headers={**headers, "Last-Event-ID": last_id}
        )
        assert_error(events, 400)
    transcript = api.url(session_id, "/transcript")
    assert_error(await api.http.get(transcript + "?offset=x", headers=headers), 400)
    assert_error(await api.http.get(transcript + "?full=perhaps", headers=headers), 400)

    # After all that, the session still waits for its decision, which still works.
    assert (await handle.status()).pending_permissions[0].request_id == request_id
    ok = await api.http.post(decide, headers=headers, json={"decision": "allow"})
    assert ok.status_code == 202
    await wait_for(handle, state_is("idle"))
    await handle.end()


@pytest.mark.parametrize("session_id", ["\x00", "a" * 2000, "/", "séance", "a b", "%", "x/../y"])
async def test_odd_session_ids_are_unknown_sessions(api: Api, session_id: str) -> None:
    headers = api.issuer.headers()
    for tail in ("", "/transcript", "/events"):
        response = await api.http.get(api.url(session_id, tail), headers=headers)
        assert_error(response, 404)

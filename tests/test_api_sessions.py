"""The HTTP API's routes over real sessions: start, read, message, decide, answer,
interrupt, compact, end; tenants who cannot see each other's sessions; decided_by from
the token."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, api, issuer, read_sse  # noqa: F401
from conftest import ScriptWriter, state_is, text, tool_use, wait_for

from tenure import AgentClient, SessionConfig
from tenure.models.events import PermissionResolved, QuestionAnswered

QUESTION = {
    "question": "Which color?",
    "header": "Color",
    "options": [{"label": "red"}, {"label": "blue"}],
}


async def start(api: Api, sub: str, model: str, workspace: Path, **fields: Any) -> str:
    response = await api.http.post(
        "/sessions",
        headers=api.issuer.headers(sub),
        json={"model": model, "workspace": str(workspace), **fields},
    )
    assert response.status_code == 201, response.text
    session_id: str = response.json()["session_id"]
    assert response.headers["location"] == api.url(session_id)
    return session_id


async def status(api: Api, sub: str, session_id: str) -> dict[str, Any]:
    response = await api.http.get(api.url(session_id), headers=api.issuer.headers(sub))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_service_starts_a_session_and_a_person_approves_its_tool_call(
    api: Api,
    agent_client: AgentClient,
    script: ScriptWriter,
    workspace: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tenure.api.audit")
    model = script([[tool_use("Bash", {"command": "echo approved-run"})], [text("Ran it.")]])
    session_id = await start(api, "alice", model, workspace, prompt="run echo", title="Echo job")
    handle = agent_client.get(session_id)
    waiting = await wait_for(handle, state_is("waiting_for_permission"))
    request_id = waiting.pending_permissions[0].request_id

    detail = await status(api, "alice", session_id)
    assert (detail["session_id"], detail["owner"]) == (session_id, "alice")
    assert detail["state"]["kind"] == "waiting_for_permission"
    assert detail["pending_permissions"][0]["request_id"] == request_id

    inbox = (await api.http.get("/inbox", headers=api.issuer.headers("alice"))).json()
    assert request_id in [
        p["request_id"] for w in inbox["waiting"] for p in w["pending_permissions"]
    ]

    # Who decided comes from the token; the body may not say.
    forged = await api.http.post(
        api.url(session_id, f"/permissions/{request_id}"),
        headers=api.issuer.headers("alice"),
        json={"decision": "allow", "decided_by": "mallory"},
    )
    assert forged.status_code == 422
    approved = await api.http.post(
        api.url(session_id, f"/permissions/{request_id}"),
        headers=api.issuer.headers("alice"),
        json={"decision": "allow"},
    )
    assert approved.status_code == 202, approved.text
    await wait_for(handle, state_is("idle"))

    events = []
    async for item in handle.events(deltas=False):
        events.append(item.event)
        if item.event.type == "turn_end":
            break
    decisions = [e for e in events if isinstance(e, PermissionResolved)]
    assert [(d.decision, d.decided_by) for d in decisions] == [("allow", "alice")]
    assert decisions[0].origin and decisions[0].origin.startswith("http-api 127.0.0.1")
    audited = [r.getMessage() for r in caplog.records if r.name == "tenure.api.audit"]
    assert any(
        line.startswith(f"permission session={session_id} request={request_id} decision=allow")
        and "by=alice from=http-api 127.0.0.1" in line
        for line in audited
    ), audited

    transcript = (
        await api.http.get(api.url(session_id, "/transcript"), headers=api.issuer.headers("alice"))
    ).json()
    assert transcript["total"] == len(transcript["messages"]) == 4
    assert "approved-run" in str(transcript["messages"][2])

    listed = (await api.http.get("/sessions", headers=api.issuer.headers("alice"))).json()
    mine = [s for s in listed["sessions"] if s["session_id"] == session_id]
    assert mine and mine[0]["owner"] == "alice" and mine[0]["title"] == "Echo job"


async def test_answers_messages_compaction_interrupt_and_the_end(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script(
        [
            [tool_use("AskUserQuestion", {"questions": [QUESTION]})],
            [text("Blue.")],
            [text("Second answer.")],
        ]
    )
    session_id = await start(
        api, "alice", model, workspace, prompt="pick", tools=["AskUserQuestion"]
    )
    handle = agent_client.get(session_id)
    waiting = await wait_for(handle, state_is("waiting_for_user_input"))
    request_id = waiting.pending_questions[0].request_id
    url = api.url(session_id, f"/answers/{request_id}")
    headers = api.issuer.headers("alice")
    unknown_question = await api.http.post(url, headers=headers, json={"answers": {"Size?": "L"}})
    assert unknown_question.status_code == 422
    answered = await api.http.post(url, headers=headers, json={"answers": {"Which color?": "blue"}})
    assert answered.status_code == 202, answered.text
    await wait_for(handle, state_is("idle"))
    again = await api.http.post(url, headers=headers, json={"answers": {"Which color?": "red"}})
    assert again.status_code == 404  # answered already: the session waits for no such request

    sent = await api.http.post(
        api.url(session_id, "/messages"), headers=headers, json={"text": "and again"}
    )
    assert sent.status_code == 202
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 3)
    assert (
        await api.http.post(api.url(session_id, "/compact"), headers=headers)
    ).status_code == 202
    assert (
        await api.http.post(api.url(session_id, "/interrupt"), headers=headers)
    ).status_code == 202
    assert (await api.http.delete(api.url(session_id), headers=headers)).status_code == 202
    outcome = await handle.result()
    assert outcome.stop_reason == "ended"

    events = await read_sse(api.http, api.url(session_id, "/events"), headers)
    answers = [e.data for e in events if e.event == "question_answered"]
    assert answers == [{**answers[0], "answers": {"Which color?": "blue"}, "decided_by": "alice"}]
    assert QuestionAnswered.model_validate(answers[0]).origin
    assert events[-1].event == "session_end"

    late = await api.http.post(
        api.url(session_id, "/messages"), headers=headers, json={"text": "anyone there?"}
    )
    assert late.status_code == 409
    assert "ended" in late.json()["error"]
    for tail in ("/interrupt", "/compact"):
        assert (await api.http.post(api.url(session_id, tail), headers=headers)).status_code == 409
    assert (await api.http.delete(api.url(session_id), headers=headers)).status_code == 409
    decided = await api.http.post(
        api.url(session_id, "/permissions/nope"), headers=headers, json={"decision": "deny"}
    )
    assert decided.status_code == 409


async def test_two_tenants_cannot_see_or_touch_each_others_sessions(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "echo hi"})], [text("done")]])
    alices = await start(api, "alice", model, workspace, prompt="go")
    bobs = await start(api, "bob", script([[text("hello bob")]]), workspace, prompt="hi")
    handle = agent_client.get(alices)
    request_id = (
        (await wait_for(handle, state_is("waiting_for_permission")))
        .pending_permissions[0]
        .request_id
    )
    await wait_for(agent_client.get(bobs), state_is("idle"))
    bob = api.issuer.headers("bob")

    for method, tail, body in [
        ("GET", "", None),
        ("GET", "/transcript", None),
        ("GET", "/events", None),
        ("POST", "/messages", {"text": "hi"}),
        ("POST", f"/permissions/{request_id}", {"decision": "allow"}),
        ("POST", f"/answers/{request_id}", {"answers": {}}),
        ("POST", "/interrupt", None),
        ("POST", "/compact", None),
        ("DELETE", "", None),
    ]:
        response = await api.http.request(method, api.url(alices, tail), headers=bob, json=body)
        assert response.status_code == 404, (method, tail, response.text)
        assert response.json() == {"error": f"no session {alices!r}"}  # as if there were none

    bob_sees = (await api.http.get("/sessions", headers=bob)).json()["sessions"]
    assert alices not in [s["session_id"] for s in bob_sees]
    assert bobs in [s["session_id"] for s in bob_sees]
    assert all(s["owner"] == "bob" for s in bob_sees)
    bob_inbox = (await api.http.get("/inbox", headers=bob)).json()["waiting"]
    assert alices not in [w["session_id"] for w in bob_inbox]
    alice_sees = (await api.http.get("/sessions", headers=api.issuer.headers("alice"))).json()
    assert bobs not in [s["session_id"] for s in alice_sees["sessions"]]

    # An admin sees both and may act; the decision is still in the admin's name.
    admin = api.issuer.headers("root", "admin")
    every = [
        s["session_id"] for s in (await api.http.get("/sessions", headers=admin)).json()["sessions"]
    ]
    assert {alices, bobs} <= set(every)
    decided = await api.http.post(
        api.url(alices, f"/permissions/{request_id}"),
        headers=admin,
        json={"decision": "deny", "reason": "not today"},
    )
    assert decided.status_code == 202
    await wait_for(handle, state_is("idle"))
    assert (await handle.status()).pending_permissions == []
    events = await read_sse(
        api.http, api.url(alices, "/events"), admin, stop=lambda e: e.event == "permission_resolved"
    )
    assert events[-1].data["decided_by"] == "root"
    assert events[-1].data["decision"] == "deny"


async def test_a_session_id_with_a_slash_is_percent_encoded(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    """A subagent's id holds `/` (`<parent id>/agent-<n>`)."""
    config = SessionConfig(
        model=script([[text("child here")]]), prompt="hi", workspace=str(workspace)
    )
    handle = await agent_client.start(
        config, session_id=f"parent-{id(config)}/agent-1", owner="alice"
    )
    await wait_for(handle, state_is("idle"))
    detail = await status(api, "alice", handle.id)
    assert detail["session_id"] == handle.id
    transcript = await api.http.get(
        api.url(handle.id, "/transcript"), headers=api.issuer.headers("alice")
    )
    assert transcript.json()["messages"][-1]["content"][0]["text"] == "child here"
    unowned = await agent_client.start(config, session_id=f"cli-{id(config)}")
    assert (
        await api.http.get(api.url(unowned.id), headers=api.issuer.headers("alice"))
    ).status_code == 404
    assert (
        await api.http.get(api.url(unowned.id), headers=api.issuer.headers("root", "admin"))
    ).status_code == 200
    for h in (handle, unowned):
        await h.end()

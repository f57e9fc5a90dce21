"""Sessions that continue as new, through the HTTP API: the owner (TenureOwner) stays with
the session, and a viewer of its events follows it into the next run, missing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from api_support import AUDIENCE, ISSUER, Issuer, issuer, read_sse, serve, stop  # noqa: F401
from conftest import ScriptWriter, state_is, text, wait_for
from test_continue_as_new import agents, hand_over, runs_of, short_history_server  # noqa: F401

from tenure import AgentClient, SessionConfig
from tenure.api import KeySet, TokenVerifier, create_app
from tenure.models.search import TENURE_OWNER


async def test_the_owner_carries_over_to_the_next_run(
    agents: AgentClient,  # noqa: F811
    script: ScriptWriter,
    workspace: Path,
) -> None:
    config = SessionConfig(model=script([[text("hi")]]), prompt="hello", workspace=str(workspace))
    handle = await agents.start(config, owner="olga")
    await wait_for(handle, state_is("idle"))
    await hand_over(agents.client, handle)
    await wait_for(handle, state_is("idle"))
    assert len(await runs_of(agents.client, handle.id)) >= 2
    description = await handle.workflow.describe()
    assert description.typed_search_attributes.get(TENURE_OWNER) == "olga"
    assert [s.id for s in await agents.list(owner="olga")] == [handle.id]
    await handle.end()


async def test_a_viewer_follows_the_session_into_its_next_run(
    agents: AgentClient,  # noqa: F811
    issuer: Issuer,  # noqa: F811
    script: ScriptWriter,
    workspace: Path,
) -> None:
    app = create_app(agents, TokenVerifier(KeySet(str(issuer.jwks)), ISSUER, AUDIENCE))
    server, base_url = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            headers = issuer.headers("pia")
            started = await http.post(
                "/sessions",
                headers=headers,
                json={
                    "model": script([[text("first")], [text("second")]]),
                    "prompt": "go",
                    "workspace": str(workspace),
                },
            )
            session_id = started.json()["session_id"]
            handle = agents.get(session_id)
            viewer = asyncio.ensure_future(
                read_sse(http, f"/sessions/{session_id}/events", headers)
            )
            await wait_for(handle, state_is("idle"))
            await hand_over(agents.client, handle)
            await wait_for(handle, state_is("idle"))
            sent = await http.post(
                f"/sessions/{session_id}/messages", headers=headers, json={"text": "again"}
            )
            assert sent.status_code == 202
            await wait_for(handle, lambda s: s.turn == 2 and s.state.kind == "idle")
            assert (
                await http.delete(f"/sessions/{session_id}", headers=headers)
            ).status_code == 202
            events = await asyncio.wait_for(viewer, 60)
    finally:
        await stop(server)
    ids = [e.id for e in events]
    assert ids == sorted(set(ids))  # each once, in order
    assert "continued" in [e.event for e in events]
    assert events[-1].event == "session_end"
    texts = [
        e.data["content"][0]["text"]
        for e in events
        if e.event == "message" and e.data["kind"] == "assistant"
    ]
    assert texts == ["first", "second"]
    whole = [(i.offset, i.event.type) async for i in handle.events()]
    assert [(e.id, e.event) for e in events] == whole

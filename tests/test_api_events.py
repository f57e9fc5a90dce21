"""GET /sessions/{id}/events: server-sent events with the stream offset as id, resumed
exactly after Last-Event-ID, shared by many viewers through one follower."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from api_support import Api, Sse, api, issuer, read_sse  # noqa: F401
from conftest import ScriptWriter, state_is, text, tool_use, wait_for

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.api.feeds import SessionFeed


def slow(value: str, ms: int = 150) -> dict[str, Any]:
    return {"content": [text(value)], "delay_ms": ms}


async def stream_of(handle: SessionHandle) -> list[tuple[int, str, dict[str, Any]]]:
    """The session's whole stream as SessionHandle.events() reads it."""
    return [
        (i.offset, i.event.type, i.event.model_dump(mode="json")) async for i in handle.events()
    ]


def as_tuples(events: list[Sse]) -> list[tuple[int, str, dict[str, Any]]]:
    return [(e.id, e.event, e.data) for e in events if e.id is not None]


async def eventually(condition: Any, what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def start(api: Api, model: str, workspace: Path, **fields: Any) -> str:
    response = await api.http.post(
        "/sessions",
        headers=api.issuer.headers(),
        json={"model": model, "workspace": str(workspace), **fields},
    )
    assert response.status_code == 201, response.text
    session_id: str = response.json()["session_id"]
    return session_id


async def test_the_stream_from_offset_0_to_the_end_with_deltas(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("hello\n")
    model = script(
        [[tool_use("Read", {"file_path": str(workspace / "notes.txt")})], slow("I read it.")]
    )
    session_id = await start(api, model, workspace, prompt="read notes", mode="autonomous")
    events = await read_sse(api.http, api.url(session_id, "/events"), api.issuer.headers())
    assert events[0].event == "session_start" and events[0].id == 0
    assert events[-1].event == "session_end"
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    kinds = {e.event for e in events}
    assert {"tool_start", "tool_end", "message", "state_change", "text_delta"} <= kinds
    assert as_tuples(events) == await stream_of(agent_client.get(session_id))
    await eventually(lambda: api.feeds_following == 0, "the feed to stop")


async def test_last_event_id_resumes_exactly_after_it(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script([slow("one"), slow("two"), slow("three")])
    session_id = await start(api, model, workspace, prompt="first")
    handle = agent_client.get(session_id)
    url, headers = api.url(session_id, "/events"), api.issuer.headers()
    first = await read_sse(
        api.http, url, headers, stop=lambda e: e.event == "turn_end"
    )  # then the viewer goes away
    await eventually(lambda: api.feeds_following == 0, "the feed of the gone viewer to stop")
    for message in ("second", "third"):  # the session goes on while nobody watches
        await wait_for(handle, state_is("idle"))
        assert (
            await api.http.post(
                api.url(session_id, "/messages"), headers=headers, json={"text": message}
            )
        ).status_code == 202
    await wait_for(handle, lambda s: s.turn == 3 and s.state.kind == "idle")
    assert (await api.http.delete(api.url(session_id), headers=headers)).status_code == 202

    rest = await read_sse(api.http, url, {**headers, "Last-Event-ID": str(first[-1].id)})
    assert rest[0].id == first[-1].id + 1  # type: ignore[operator]
    whole = await stream_of(handle)
    assert as_tuples(first) + as_tuples(rest) == whole
    assert rest[-1].event == "session_end"

    # Any point will do: resuming after each event of the first part gives the rest.
    for cut in (0, len(whole) // 2, len(whole) - 2):
        tail = await read_sse(api.http, url, {**headers, "Last-Event-ID": str(whole[cut][0])})
        assert as_tuples(tail) == whole[cut + 1 :]
    beyond = await read_sse(api.http, url, {**headers, "Last-Event-ID": str(whole[-1][0])})
    assert as_tuples(beyond) == []


async def test_twenty_viewers_share_one_follower_and_see_the_same_events(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script(
        [
            slow("Counting: one two three four five six seven eight nine ten.", 300),
            [tool_use("Read", {"file_path": str(workspace / "missing.txt")})],
            slow("Done counting.", 300),
        ]
    )
    session_id = await start(api, model, workspace)  # waits for a first message
    handle = agent_client.get(session_id)
    url, headers = api.url(session_id, "/events"), api.issuer.headers()
    opened = 0

    async def on_open() -> None:
        nonlocal opened
        opened += 1

    viewers = [
        asyncio.ensure_future(read_sse(api.http, url, headers, on_open=on_open)) for _ in range(20)
    ]
    await eventually(lambda: opened == 20, "all viewers to connect")
    await eventually(lambda: api.feeds_following == 1, "one follower")
    sent = await api.http.post(
        api.url(session_id, "/messages"), headers=headers, json={"text": "count"}
    )
    assert sent.status_code == 202
    await wait_for(handle, lambda s: s.turn >= 1 and s.state.kind == "idle")
    # A latecomer from the start: it reads what the follower has passed by query, then joins.
    late = await read_sse(
        api.http, url, {**headers, "Last-Event-ID": "2"}, stop=lambda e: e.event == "turn_end"
    )
    assert api.feeds_following == 1
    assert (await api.http.delete(api.url(session_id), headers=headers)).status_code == 202
    seen = await asyncio.gather(*viewers)

    whole = await stream_of(handle)
    assert all(as_tuples(events) == whole for events in seen)
    assert any(e.event == "text_delta" for e in seen[0])
    assert as_tuples(late) == [w for w in whole if w[0] > 2][: len(late)]
    await eventually(lambda: api.feeds_following == 0, "the feed to stop when all have left")


async def test_an_idle_stream_sends_keep_alives(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    session_id = await start(api, script([[text("hi")]]), workspace)
    comments = []
    async with api.http.stream(
        "GET", api.url(session_id, "/events"), headers=api.issuer.headers()
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith(":"):
                comments.append(line)
                break
    assert comments == [": keep-alive"]
    await agent_client.get(session_id).end()


async def test_a_stream_ends_when_the_token_expires(
    api: Api, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    session_id = await start(api, script([[text("hi")]]), workspace)
    # Expired 24 s ago: still within the 30 s leeway, for 6 s more.
    token = api.issuer.token(lifetime=timedelta(seconds=-24))
    events = await read_sse(
        api.http, api.url(session_id, "/events"), {"Authorization": f"Bearer {token}"}
    )
    assert events[-1].event == "stream_error"
    assert events[-1].data == {"error": "the token has expired"}
    assert events[0].event == "session_start"  # it served the stream until then
    refused = await api.http.get(
        api.url(session_id, "/events"), headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    await agent_client.get(session_id).end()


async def test_a_viewer_behind_what_the_feed_keeps_reads_the_rest_by_query(
    agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    """A feed keeps only its recent frames; older ones come from the stream's query."""
    model = script([[tool_use("Glob", {"pattern": "*"})], [text("one")], [text("two")]])
    handle = await agent_client.start(
        SessionConfig(model=model, prompt="go", workspace=str(workspace))
    )
    feed = SessionFeed(handle, 0, capacity=6)
    async for frame in feed.frames_from(0, keepalive=1.0):  # the feed follows it live
        if frame is not None and frame.type == "turn_end" and "end_turn" in frame.data:
            break
    await wait_for(handle, state_is("idle"))
    await handle.send("more")
    await wait_for(handle, lambda s: s.turn == 3 and s.state.kind == "idle")
    await handle.end()
    await eventually(lambda: feed.finished, "the feed to reach the end")
    assert feed.error is None and feed.base > 0 and len(feed.frames) <= 6
    replayed = [
        (f.offset, f.type, json.loads(f.data))
        async for f in feed.frames_from(0, keepalive=1.0)
        if f is not None
    ]
    assert replayed == await stream_of(handle)

"""MCP tools in real sessions: a scripted model calls real MCP servers (mcp-server-time,
server-everything, counter.py) through a worker that holds the connections."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ScriptWriter, text, tool_use, wait_for
from mcp_support import (
    COUNTER,
    assert_replays,
    counter_server,
    done,
    everything_http,
    everything_stdio,
    kill_servers,
    mcp_worker,
    needs_npm,
    results,
    server_pids,
    time_server,
)
from processes import wait_for_file
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.hooks import Hook
from tenure.models import HookInput, HookResult, McpServerSpec, WorkerPolicy

NOW = {"timezone": "UTC"}


async def scheduled(handle: SessionHandle, activity: str) -> list[tuple[str, Any]]:
    """(task queue, decoded input) of each `activity` the session scheduled."""
    found = []
    async for event in handle.workflow.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == activity:
                payload = attrs.input.payloads[0]
                found.append((attrs.task_queue.name, json.loads(payload.data or b"null")))
    return found


async def run(agents: AgentClient, workspace: Path, model: str, **fields: Any) -> SessionHandle:
    fields.setdefault("mode", "autonomous")
    return await agents.start(
        SessionConfig(model=model, workspace=str(workspace), prompt="go", **fields)
    )


async def test_a_read_only_mcp_tool_runs_without_asking(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    model = script([[tool_use("mcp__time__get_current_time", NOW)], [text("done")]])
    async with mcp_worker(temporal_client, {"time": time_server()}) as agents:
        handle = await run(agents, workspace, model, tools=["Read"])
        outcome = await handle.result()
        assert outcome.stop_reason == "end_turn"
        [result] = results((await handle.transcript()).messages)
        assert not result.is_error
        assert json.loads(result.content)["timezone"] == "UTC"
        # The model was offered the MCP tools, with their schemas, after the session's own.
        [(_, call)] = (await scheduled(handle, "model_call"))[:1]
        offered = {t["name"]: t for t in call["mcp_tools"]}
        assert set(offered) == {"mcp__time__get_current_time", "mcp__time__convert_time"}
        assert offered["mcp__time__get_current_time"]["kind"] == "read"
        assert "timezone" in offered["mcp__time__get_current_time"]["input_schema"]["properties"]
        assert call["tools"] == ["Read"]
    assert not server_pids(str(time_server().command))  # closed with the session


async def test_deny_rules_name_a_server_or_one_tool(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [tool_use("mcp__time__get_current_time", NOW)],
        [tool_use("mcp__time__convert_time", {"source_timezone": "UTC", "time": "12:00",
                                              "target_timezone": "Europe/Paris"})],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"time": time_server()}) as agents:
        handle = await run(agents, workspace, model,
                           permissions={"deny": ["mcp__time__convert_time"]})
        await handle.result()
        now, converted = results((await handle.transcript()).messages)
        assert not now.is_error
        assert converted.is_error and "Permission denied" in converted.content
        handle = await run(agents, workspace, script([[tool_use("mcp__time__get_current_time", NOW)],
                                                      [text("done")]]),
                           permissions={"deny": ["mcp__time"]})
        await handle.result()
        [denied] = results((await handle.transcript()).messages)
        assert denied.is_error and "mcp__time" in denied.content


async def test_a_tool_not_marked_read_only_asks_first(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([[tool_use("mcp__counter__bump", {})], [text("done")]])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model)
        status = await wait_for(handle, lambda s: bool(s.pending_permissions))
        [pending] = status.pending_permissions
        assert pending.tool_name == "mcp__counter__bump"
        assert not counter.exists()
        await handle.approve(pending.request_id)
        await handle.result()
        [result] = results((await handle.transcript()).messages)
        assert result.content == "counter is 1"


async def test_a_killed_stdio_server_is_started_again_by_the_next_call(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [tool_use("mcp__time__get_current_time", NOW)], [text("first")],
        [tool_use("mcp__time__get_current_time", NOW)], [text("second")],
    ])
    async with mcp_worker(temporal_client, {"time": time_server()}) as agents:
        handle = await run(agents, workspace, model, mode="interactive")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
        killed = kill_servers(str(time_server().command))
        assert killed
        await handle.send("again")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4)
        first, second = results((await handle.transcript()).messages)
        assert not first.is_error and not second.is_error, second.content
        assert server_pids(str(time_server().command)) not in ([], killed)
        await handle.end()


async def test_a_read_only_call_in_flight_is_retried_once(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([[tool_use("mcp__counter__count", {"seconds": 2})], [text("done")]])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model)
        await wait_for_file(Path(f"{counter}.reads"))
        assert kill_servers(str(COUNTER))
        await handle.result()
        [result] = results((await handle.transcript()).messages)
        assert not result.is_error, result.content
        assert result.content == "counter is 0"
        assert Path(f"{counter}.reads").read_text().count("read") == 2


async def test_a_state_changing_call_in_flight_has_an_unknown_outcome(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([
        [tool_use("mcp__counter__bump", {"seconds": 3})],
        [tool_use("mcp__counter__bump", {})],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model, permissions={"allow": ["mcp__counter__bump"]})
        await wait_for_file(Path(f"{counter}.started"))
        assert kill_servers(str(COUNTER))
        await handle.result()
        lost, again = results((await handle.transcript()).messages)
        assert lost.is_error and "outcome of this mcp__counter__bump call is unknown" in lost.content
        assert not again.is_error and again.content == "counter is 1"  # ran once, not twice


async def test_a_server_that_cannot_start_is_an_error_the_session_goes_on_after(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    broken = McpServerSpec(command="/nonexistent/mcp-server")
    model = script([
        [tool_use("mcp__broken__anything", {})],
        [tool_use("mcp__time__get_current_time", NOW)],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"broken": broken, "time": time_server()}) as agents:
        handle = await run(agents, workspace, model)
        outcome = await handle.result()
        assert outcome.stop_reason == "end_turn"
        failed, worked = results((await handle.transcript()).messages)
        assert failed.is_error and "MCP server broken could not start" in failed.content
        assert "/nonexistent/mcp-server" in failed.content
        assert not worked.is_error
        await assert_replays(handle)


@needs_npm
async def test_images_and_structured_content_reach_the_model(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [tool_use("mcp__every__echo", {"message": "hello"})],
        [tool_use("mcp__every__get-tiny-image", {})],
        [tool_use("mcp__every__get-structured-content", {"location": "New York"})],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"every": everything_stdio()}) as agents:
        handle = await run(agents, workspace, model)
        await handle.result()
        echo, image, structured = results((await handle.transcript()).messages)
        assert echo.content == "Echo: hello"
        assert [i.source.media_type for i in image.images] == ["image/png"]
        assert image.images[0].source.data
        assert "temperature" in json.loads(structured.content)
        # On the wire the result is Anthropic's: text and image blocks in `content`.
        wire = image.model_dump(mode="json")
        assert [b["type"] for b in wire["content"]] == ["text", "image"]
        await assert_replays(handle)


@needs_npm
async def test_a_sessions_own_http_server_and_a_dropped_http_session(
    agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [tool_use("mcp__web__echo", {"message": "one"})], [text("first")],
        [tool_use("mcp__web__echo", {"message": "two"})], [text("second")],
    ])
    async with everything_http() as (url, _server):
        handle = await run(agent_client, workspace, model, mode="interactive",
                           mcp_servers={"web": {"type": "http", "url": url}})
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
    # The server restarts: it no longer knows the session's MCP session.
    async with everything_http(port):
        await handle.send("again")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4)
        first, second = results((await handle.transcript()).messages)
        assert first.content == "Echo: one"
        assert second.content == "Echo: two", second.content
        await handle.end()


async def test_a_session_may_start_stdio_servers_only_where_the_worker_allows(
    temporal_client: Client, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    own = {"mine": {"command": str(time_server().command)}}
    model = script([[tool_use("mcp__mine__get_current_time", NOW)], [text("done")]])
    handle = await run(agent_client, workspace, model, mcp_servers=own)
    await handle.result()
    [refused] = results((await handle.transcript()).messages)
    assert refused.is_error and "allow_session_mcp_commands" in refused.content
    policy = WorkerPolicy(allow_session_mcp_commands=True)
    async with mcp_worker(temporal_client, {}, policy) as agents:
        handle = await run(agents, workspace, model, mcp_servers=own)
        await handle.result()
        [allowed] = results((await handle.transcript()).messages)
        assert not allowed.is_error, allowed.content


async def test_list_changed_refreshes_the_tools_of_the_next_model_call(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    model = script([
        [tool_use("mcp__counter__add_tool", {"name": "extra"})],
        [tool_use("mcp__counter__extra", {})],
        [text("done")],
    ])
    servers = {"counter": counter_server(tmp_path / "counter")}
    async with mcp_worker(temporal_client, servers) as agents:
        handle = await run(agents, workspace, model, permissions={"allow": ["mcp__counter__add_tool"]})
        await handle.result()
        added, extra = results((await handle.transcript()).messages)
        assert added.content == "added extra"
        assert not extra.is_error and extra.content == "extra was added"
        # A model call carries the tool list only when it changed.
        first, second, third = (call for _, call in await scheduled(handle, "model_call"))
        assert "mcp__counter__extra" not in {t["name"] for t in first["mcp_tools"]}
        assert "mcp__counter__extra" in {t["name"] for t in second["mcp_tools"]}
        assert third["mcp_tools"] is None
        assert [c["mcp_tools_revision"] for c in (first, second, third)] == [1, 2, 2]
        await assert_replays(handle)


async def test_secrets_expanded_on_the_worker_never_enter_the_history(
    temporal_client: Client, script: ScriptWriter, workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIME_SERVICE_TOKEN", "s3cret-value")
    spec = McpServerSpec(command="${TIME_COMMAND:-" + str(time_server().command) + "}",
                         env={"SERVICE_TOKEN": "${TIME_SERVICE_TOKEN}"})
    model = script([[tool_use("mcp__time__get_current_time", NOW)], [text("done")]])
    async with mcp_worker(temporal_client, {"time": spec}) as agents:
        handle = await run(agents, workspace, model)
        await handle.result()
        [result] = results((await handle.transcript()).messages)
        assert not result.is_error
        history = await handle.workflow.fetch_history()
        assert b"s3cret-value" not in history.to_json().encode()


async def test_a_worker_without_servers_offers_none(
    agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script([[text("done")]])
    handle = await run(agent_client, workspace, model)
    await handle.result()
    [(_, call)] = await scheduled(handle, "model_call")
    assert not call.get("mcp_tools") and not call.get("mcp_tools_revision")
    await asyncio.sleep(0)
    assert done(await handle.status())


async def test_hooks_see_mcp_calls(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    seen: list[str] = []

    async def no_time(event: HookInput) -> HookResult | None:
        seen.append(event.tool_name or "")
        return HookResult(decision="deny", reason="no clocks today")

    model = script([[tool_use("mcp__time__get_current_time", NOW)], [text("done")]])
    hooks = [Hook("PreToolUse", no_time, matcher="^mcp__time__")]
    async with mcp_worker(temporal_client, {"time": time_server()}, hooks=hooks) as agents:
        handle = await run(agents, workspace, model)
        await handle.result()
        [blocked] = results((await handle.transcript()).messages)
        assert blocked.is_error and "no clocks today" in blocked.content
        assert seen == ["mcp__time__get_current_time"]


async def test_an_interrupt_stops_a_long_mcp_call_and_the_connection_goes_on(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([
        [tool_use("mcp__counter__count", {"seconds": 60})],
        [tool_use("mcp__counter__count", {})],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model, mode="interactive")
        await wait_for_file(Path(f"{counter}.reads"))
        pids = server_pids(str(COUNTER))
        await handle.interrupt()
        await wait_for(handle, lambda s: s.state.kind == "idle")
        await handle.send("go on")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 3)
        stopped, again = results((await handle.transcript()).messages)
        assert stopped.is_error and "Interrupted" in stopped.content
        assert again.content == "counter is 0"
        assert server_pids(str(COUNTER)) == pids  # the same server, still connected
        await handle.end()


async def test_a_state_changing_call_after_a_server_died_runs_on_a_new_one(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([
        [tool_use("mcp__counter__bump", {})], [text("first")],
        [tool_use("mcp__counter__bump", {})], [text("second")],
    ])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model, mode="interactive",
                           permissions={"allow": ["mcp__counter"]})
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
        assert kill_servers(str(COUNTER))
        await handle.send("again")
        await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4)
        first, second = results((await handle.transcript()).messages)
        assert first.content == "counter is 1"
        assert second.content == "counter is 2", second.content  # not "outcome unknown"
        await handle.end()


@needs_npm
async def test_a_long_running_tools_progress_rides_with_its_heartbeats(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [tool_use("mcp__every__trigger-long-running-operation", {"duration": 6, "steps": 6})],
        [text("done")],
    ])
    async with mcp_worker(temporal_client, {"every": everything_stdio()}) as agents:
        handle = await run(agents, workspace, model)
        progress: dict[str, Any] = {}
        for _ in range(200):  # the pending tool_call, as the Temporal web UI shows it
            pending = (await handle.workflow.describe()).raw_description.pending_activities
            beats = [p.heartbeat_details.payloads for p in pending if p.heartbeat_details.payloads]
            if beats:
                progress = json.loads(beats[0][0].data)
                break
            await asyncio.sleep(0.05)
        assert progress["total"] == 6 and 1 <= progress["progress"] <= 6
        await handle.result()
        [result] = results((await handle.transcript()).messages)
        assert not result.is_error and "completed" in result.content.lower(), result.content


async def test_a_call_that_does_not_fit_its_schema_is_refused_before_anyone_is_asked(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    model = script([[tool_use("mcp__counter__bump", {"seconds": "soon"})], [text("done")]])
    async with mcp_worker(temporal_client, {"counter": counter_server(counter)}) as agents:
        handle = await run(agents, workspace, model)
        await handle.result()
        [refused] = results((await handle.transcript()).messages)
        assert refused.is_error
        assert refused.content.startswith("Invalid input for mcp__counter__bump: seconds:")
        assert not Path(f"{counter}.started").exists()
        assert not (await handle.status()).pending_permissions

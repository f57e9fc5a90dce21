"""The MCP layer on its own (no Temporal): `.mcp.json` files, `${VAR}` expansion, the
environment of stdio servers, idle connections, and results."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import mcp_types as types
import pytest
from mcp_support import counter_server, everything_http, everything_stdio, needs_npm, time_server

from tenure.mcp import McpConfigError, McpHub, McpTool, expand, load_mcp_config
from tenure.mcp.results import tool_result
from tenure.models import McpServerSpec, ToolRequest, ToolResult, WorkerPolicy


def request(name: str, tool_input: dict[str, object], session: str = "s") -> ToolRequest:
    return ToolRequest(session_id=session, tool_name=name, tool_use_id=uuid.uuid4().hex,
                       input=tool_input, workspace="/tmp")


async def call(hub: McpHub, name: str, tool_input: dict[str, object]) -> ToolResult:
    tool = await hub.call(request(name, tool_input))
    return await hub.run(tool, request(name, tool_input)) if isinstance(tool, McpTool) else tool


def test_mcp_json_files_in_claude_codes_format(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "server"], "env": {"A": "1"}},
        "typed": {"type": "stdio", "command": "x"},
        "api": {"type": "http", "url": "https://example.com/mcp", "headers": {"X": "y"}},
    }}))
    servers = load_mcp_config(path)
    assert [s.transport for s in servers.values()] == ["stdio", "stdio", "http"]
    path.write_text(json.dumps({"mcpServers": {"bad": {"type": "http"}}}))
    with pytest.raises(McpConfigError, match="needs a `url`"):
        load_mcp_config(path)
    path.write_text(json.dumps({"mcpServers": {"bad": {"command": "x", "cwd": "/"}}}))
    with pytest.raises(McpConfigError, match="cwd"):
        load_mcp_config(path)


def test_variables_expand_as_in_claude_code() -> None:
    env = {"TOKEN": "abc", "EMPTY": ""}
    assert expand("Bearer ${TOKEN}", env) == "Bearer abc"
    assert expand("${MISSING:-fallback}/${TOKEN:-x}", env) == "fallback/abc"
    assert expand("${EMPTY:-used}", env) == "used"
    assert expand("${MISSING}", env) == ""
    assert expand("$TOKEN stays", env) == "$TOKEN stays"


@needs_npm
async def test_stdio_servers_get_the_environment_without_its_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "withheld")
    monkeypatch.setenv("PASSED_API_KEY", "passed")
    spec = everything_stdio().model_copy(update={"env": {"GIVEN": "${SOME_SERVICE_TOKEN}"}})
    hub = McpHub({"every": spec}, WorkerPolicy(env_passthrough=["PASSED_API_KEY"]))
    try:
        await hub.prepare("s", {}, "/tmp")
        env = json.loads((await call(hub, "mcp__every__get-env", {})).content)
    finally:
        await hub.aclose()
    assert "SOME_SERVICE_TOKEN" not in env
    assert env["GIVEN"] == "withheld"  # the worker's own entry may name a secret
    assert env["PASSED_API_KEY"] == "passed"
    assert env["PATH"]


async def test_a_sessions_own_entries_see_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_SECRET", "never")
    own = {"web": McpServerSpec(type="http", url="http://127.0.0.1:9/${WORKER_SECRET:-none}")}
    hub = McpHub({}, WorkerPolicy())
    try:
        _, [info] = await hub.prepare("s", own, "/tmp")
    finally:
        await hub.aclose()
    assert info.error and "127.0.0.1:9/none" in info.error and "never" not in info.error


async def test_a_connection_opened_while_the_reaper_waits_stays_open() -> None:
    """The reaper found the connection idle, then waited for its lock while a call opened
    it again: it must not close what the call is about to use."""
    hub = McpHub({"time": time_server()}, WorkerPolicy(), idle_seconds=60)
    try:
        await hub.prepare("s", {}, "/tmp")
        [connection] = hub._sessions["s"].connections.values()  # noqa: SLF001
        connection.last_used -= 120  # idle as the reaper saw it
        async with connection._lock:  # noqa: SLF001 - a call opening the connection again
            closing = asyncio.create_task(connection.close_if_idle(hub.idle_seconds))
            await asyncio.sleep(0.05)
            connection.last_used = time.monotonic()  # ... for a call that comes now
        assert not await closing
        assert connection.alive
        result = await call(hub, "mcp__time__get_current_time", {"timezone": "UTC"})
        assert not result.is_error, result.content
        connection.last_used -= 120
        assert await connection.close_if_idle(hub.idle_seconds)  # really idle now
        assert not connection.alive
    finally:
        await hub.aclose()


async def test_idle_connections_close_and_the_next_call_opens_them(tmp_path: Path) -> None:
    hub = McpHub({"time": time_server()}, WorkerPolicy(), idle_seconds=0.2)
    try:
        await hub.prepare("s", {}, "/tmp")
        [connection] = hub._sessions["s"].connections.values()  # noqa: SLF001
        for _ in range(200):
            if not connection.alive:
                break
            await asyncio.sleep(0.05)
        assert not connection.alive
        result = await call(hub, "mcp__time__get_current_time", {"timezone": "UTC"})
        assert not result.is_error, result.content
        assert connection.opened >= 2  # opened again (the reaper may close it once more)
    finally:
        await hub.aclose()


async def test_mcp_errors_are_results_the_model_sees(tmp_path: Path) -> None:
    hub = McpHub({"counter": counter_server(tmp_path / "c")}, WorkerPolicy())
    try:
        await hub.prepare("s", {}, "/tmp")
        unknown = await call(hub, "mcp__counter__nothing", {})
        assert unknown.is_error and "has no tool" in unknown.content
        wrong = await call(hub, "mcp__counter__bump", {"seconds": "soon"})
        assert wrong.is_error
        other = await call(hub, "mcp__elsewhere__x", {})
        assert other.is_error and "no MCP server 'elsewhere'" in other.content
    finally:
        await hub.aclose()


def test_results_keep_text_images_resources_and_structured_content() -> None:
    result = tool_result(types.CallToolResult(
        content=[
            types.TextContent(text="hello"),
            types.ImageContent(data="iVBORw0KGgo=", mime_type="image/png"),
            types.ImageContent(data="AAAA", mime_type="image/tiff"),
            types.EmbeddedResource(resource=types.TextResourceContents(
                uri="file:///notes.txt", mime_type="text/plain", text="the notes")),
        ],
        structured_content={"answer": 42},
        is_error=False,
    ))
    assert [i.source.media_type for i in result.images] == ["image/png"]
    assert "hello" in result.content and "the notes" in result.content
    assert "image/tiff" in result.content  # a type the models do not take, described
    assert '"answer": 42' in result.content


@needs_npm
async def test_the_older_sse_transport() -> None:
    async with everything_http(transport="sse") as (url, _server):
        hub = McpHub({"old": McpServerSpec(type="sse", url=url)}, WorkerPolicy())
        try:
            _, [info] = await hub.prepare("s", {}, "/tmp")
            assert info.error is None and "mcp__old__echo" in info.tools
            result = await call(hub, "mcp__old__echo", {"message": "over sse"})
        finally:
            await hub.aclose()
    assert result.content == "Echo: over sse"

"""MCP tools offered to the real Anthropic SDK (over HTTP to the local fake Messages API):
their schemas in every request, whichever worker makes it, and images in tool results."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_anthropic import FakeAnthropic
from mcp_support import everything_stdio, mcp_worker, needs_npm, time_server
from temporalio.client import Client

from tenure import SessionConfig
from tenure.activities.mcp_tools import McpToolsCache
from tenure.models import McpToolSpec, ModelCallInput


@needs_npm
async def test_mcp_tools_are_in_every_request_and_images_reach_the_model(
    fake: FakeAnthropic, temporal_client: Client, workspace: Path
) -> None:
    fake.add(
        FakeAnthropic.stream([{"type": "tool_use", "name": "mcp__every__get-tiny-image", "input": {}}]),
        FakeAnthropic.stream([{"type": "tool_use", "name": "mcp__time__get_current_time",
                               "input": {"timezone": "UTC"}}]),
        FakeAnthropic.stream(["A tiny logo, and it is late."]),
    )
    servers = {"every": everything_stdio(), "time": time_server()}
    async with mcp_worker(temporal_client, servers) as agents:
        handle = await agents.start(SessionConfig(
            model="anthropic:claude-test", prompt="look", mode="autonomous",
            workspace=str(workspace), tools=["Read"],
        ))
        outcome = await handle.result()
    assert outcome.text == "A tiny logo, and it is late."
    requests = [r.body for r in fake.requests]
    for body in requests:
        names = [t["name"] for t in body["tools"]]
        assert names[0] == "Read" and "mcp__every__echo" in names
        assert "mcp__time__get_current_time" in names
        echo = next(t for t in body["tools"] if t["name"] == "mcp__every__echo")
        assert echo["input_schema"]["properties"]["message"]
    image_result = requests[1]["messages"][2]["content"][0]
    assert image_result["type"] == "tool_result"
    assert [b["type"] for b in image_result["content"]] == ["text", "image"]
    assert image_result["content"][1]["source"]["media_type"] == "image/png"


async def test_a_worker_without_a_copy_reads_the_tools_from_the_session(
    fake: FakeAnthropic, temporal_client: Client, workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model call that carries no tool list, on a worker that never saw one, asks the
    session (its `mcp_tools` query)."""
    fake.add(
        FakeAnthropic.stream([{"type": "tool_use", "name": "mcp__time__get_current_time",
                               "input": {"timezone": "UTC"}}]),
        FakeAnthropic.stream(["done"]),
    )
    forget = McpToolsCache.tools

    async def forgetful(self: McpToolsCache, call: ModelCallInput) -> list[McpToolSpec]:
        self._sessions.clear()  # noqa: SLF001 - as if each call ran on another worker
        return await forget(self, call)

    monkeypatch.setattr(McpToolsCache, "tools", forgetful)
    async with mcp_worker(temporal_client, {"time": time_server()}) as agents:
        handle = await agents.start(SessionConfig(
            model="anthropic:claude-test", prompt="time?", mode="autonomous",
            workspace=str(workspace), tools=["Read"],
        ))
        await handle.result()
    first, second = (r.body for r in fake.requests)
    assert [t["name"] for t in first["tools"]] == [t["name"] for t in second["tools"]]
    assert "mcp__time__get_current_time" in [t["name"] for t in second["tools"]]

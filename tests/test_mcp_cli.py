"""`tenure mcp list`, `tenure run --mcp-config` and `tenure worker --tools-only`."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from pathlib import Path

from commands import cli_env, tenure
from conftest import ScriptWriter, text, tool_use
from mcp_support import time_server

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer


def config_file(tmp_path: Path, servers: dict[str, object]) -> Path:
    path = tmp_path / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


async def test_mcp_list_shows_each_server_and_its_tools(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> None:
    path = config_file(tmp_path, {
        "time": {"command": str(time_server().command)},
        "gone": {"command": "/nonexistent/server"},
    })
    result = await tenure(cli_env(dev_server, task_queue, tmp_path), "mcp", "list",
                          "--mcp-config", str(path))
    assert result.code == 1, result  # one server failed
    assert "time  stdio  2 tools" in result.stdout
    assert "mcp__time__get_current_time  read" in result.stdout
    assert "gone  stdio  failed" in result.stdout
    assert "MCP server gone could not start" in result.stdout


async def test_run_takes_the_sessions_servers_from_mcp_config(
    dev_server: DevServer, task_queue: str, tmp_path: Path, script: ScriptWriter,
    workspace: Path,
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    env["TENURE_TASK_QUEUE"] = f"cli-mcp-{uuid.uuid4().hex[:8]}"  # only the run's own worker
    path = config_file(tmp_path, {"time": {"command": str(time_server().command)}})
    model = script([[tool_use("mcp__time__get_current_time", {"timezone": "UTC"})],
                    [text("It is late.")]])
    result = await tenure(env, "run", "what time is it", "--model", model, "--workspace",
                          str(workspace), "--mcp-config", str(path))
    assert result.code == 0, result
    assert "● mcp__time__get_current_time" in result.stdout
    assert '✓ {' in result.stdout and "✗" not in result.stdout


async def test_a_tools_only_worker_needs_its_task_queue(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    env.pop("TENURE_TASK_QUEUE")
    result = await tenure(env, "worker", "--tools-only")
    assert result.code == 2
    assert "--tools-only needs --task-queue NAME" in result.stdout + result.stderr


async def test_run_uses_the_workspaces_mcp_json_only_when_told(
    dev_server: DevServer, task_queue: str, tmp_path: Path, script: ScriptWriter,
    workspace: Path,
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    env["TENURE_TASK_QUEUE"] = f"cli-mcp-{uuid.uuid4().hex[:8]}"
    config_file(workspace, {"time": {"command": str(time_server().command)}})
    call = [tool_use("mcp__time__get_current_time", {"timezone": "UTC"})]
    args = ["run", "what time is it", "--workspace", str(workspace)]
    # No terminal to ask on: not used, and it says so.
    result = await tenure(env, *args, "--model", script([call, [text("done")]]))
    assert "not using them without asking" in result.stdout
    assert "✗ Tool 'mcp__time__get_current_time' is not available" in result.stdout
    # --yes says yes (and is remembered for this version of the file).
    result = await tenure(env, *args, "--yes", "--model", script([call, [text("done")]]))
    assert result.code == 0, result
    assert '✓ {' in result.stdout
    result = await tenure(env, *args, "--model", script([call, [text("done")]]))
    assert '✓ {' in result.stdout


async def test_tenure_worker_tools_only_hosts_a_sessions_tools_and_mcp(
    dev_server: DevServer, task_queue: str, tmp_path: Path, script: ScriptWriter,
    workspace: Path, agent_client: AgentClient,
) -> None:
    queue = f"laptop-{uuid.uuid4().hex[:8]}"
    path = config_file(tmp_path, {"time": {"command": str(time_server().command)}})
    env = {**cli_env(dev_server, task_queue, tmp_path), "ANTHROPIC_API_KEY": ""}
    log = (tmp_path / "laptop.log").open("wb")
    laptop = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", "worker", "--tools-only", "--task-queue", queue,
        "--mcp-config", str(path), env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        model = script([[tool_use("mcp__time__get_current_time", {"timezone": "UTC"})],
                        [text("done")]])
        handle = await agent_client.start(SessionConfig(
            model=model, prompt="time?", mode="autonomous", workspace=str(workspace),
            tool_queue=queue,
        ))
        outcome = await asyncio.wait_for(handle.result(), 60)
        assert outcome.stop_reason == "end_turn"
        [result] = [b for m in (await handle.transcript()).messages for b in m.content
                    if b.type == "tool_result"]
        assert not result.is_error and "UTC" in result.content
    finally:
        laptop.send_signal(signal.SIGINT)
        await asyncio.wait_for(laptop.wait(), 30)
    assert "tools-only worker" in (tmp_path / "laptop.log").read_text()

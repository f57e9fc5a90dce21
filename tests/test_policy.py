"""A worker's own policy: deny rules and workspace roots that sessions cannot widen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import ScriptWriter, text, tool_use
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.activities import ToolCallActivity
from tenure.models import ToolRequest, WorkerPolicy
from tenure.tools import ToolRegistry, builtin_tools
from tenure.workers import build_worker


@pytest.fixture
async def guarded(temporal_client: Client, tmp_path: Path) -> AsyncIterator[tuple[AgentClient, Path]]:
    """A worker whose policy denies `rm` and keeps workspaces under one root."""
    root = tmp_path / "allowed"
    root.mkdir()
    queue = f"policy-{uuid.uuid4().hex[:8]}"
    policy = WorkerPolicy(deny=["Bash(rm:*)", "Read(**/.env)"], allow=["Bash(ls:*)"],
                          workspace_roots=[str(root)])
    async with build_worker(temporal_client, task_queue=queue, policy=policy):
        yield AgentClient(temporal_client, task_queue=queue), root


async def test_worker_deny_rules_hold_in_bypass_mode(
    guarded: tuple[AgentClient, Path], script: ScriptWriter
) -> None:
    agents, root = guarded
    (root / "keep").write_text("x")
    (root / ".env").write_text("SECRET=1")
    model = script([
        [tool_use("Bash", {"command": "rm keep"}), tool_use("Read", {"file_path": ".env"}),
         tool_use("Bash", {"command": "ls"})],
        [text("done")],
    ])
    handle = await agents.start(SessionConfig(
        model=model, prompt="go", mode="autonomous", workspace=str(root),
        permission_mode="bypassPermissions", permissions={"allow": ["Bash(rm:*)", "Read"]},
    ))
    await handle.result()
    rm, env, ls = (await handle.transcript()).messages[2].content
    assert rm.type == "tool_result" and rm.is_error and "Bash(rm:*)" in rm.content
    assert env.type == "tool_result" and env.is_error and "SECRET" not in env.content
    assert ls.type == "tool_result" and not ls.is_error and "keep" in ls.content
    assert (root / "keep").exists()


async def test_worker_allow_rules_apply_to_every_session(
    guarded: tuple[AgentClient, Path], script: ScriptWriter
) -> None:
    agents, root = guarded
    model = script([[tool_use("Bash", {"command": "ls -a"})], [text("listed")]])
    handle = await agents.start(SessionConfig(model=model, prompt="go", mode="autonomous",
                                              workspace=str(root)))
    assert (await handle.result()).text == "listed"  # no approval was needed


async def test_workspace_outside_the_roots_is_refused(
    guarded: tuple[AgentClient, Path], script: ScriptWriter, tmp_path: Path
) -> None:
    agents, _ = guarded
    handle = await agents.start(SessionConfig(model=script([[text("x")]]), prompt="go",
                                              mode="autonomous", workspace=str(tmp_path)))
    outcome = await handle.result()
    assert outcome.stop_reason == "error"
    assert outcome.error and "outside this worker's workspace roots" in outcome.error


async def test_malformed_rule_is_refused_at_start(
    agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    handle = await agent_client.start(SessionConfig(
        model=script([[text("x")]]), prompt="go", mode="autonomous", workspace=str(workspace),
        permissions={"deny": ["Bash(rm"]},
    ))
    outcome = await handle.result()
    assert outcome.error and "Not a permission rule" in outcome.error


async def test_tool_call_rechecks_the_worker_deny_rules(tmp_path: Path) -> None:
    """Even a tool_call scheduled by a tampered workflow cannot run what the worker forbids."""
    activity = ToolCallActivity(ToolRegistry(builtin_tools()), WorkerPolicy(deny=["Write"]))
    result = await activity.tool_call(ToolRequest(
        session_id="s", tool_name="Write", tool_use_id="t",
        input={"file_path": "a.txt", "content": "x"}, workspace=str(tmp_path),
    ))
    assert result.is_error and "worker's policy rule Write" in result.content
    assert not (tmp_path / "a.txt").exists()

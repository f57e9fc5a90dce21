"""The worker's secrets never reach the commands the agent runs: Bash, background jobs
and command hooks see the worker's environment without `*_API_KEY`, `*_TOKEN`,
`*_SECRET`, `*PASSWORD*` and `*CREDENTIALS*` names, unless the worker policy passes one
through."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from conftest import ScriptWriter, text, tool_use
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.hooks import command_hooks
from tenure.models import ToolResultBlock, WorkerPolicy
from tenure.tools.environment import agent_environment, is_secret
from tenure.workers import build_worker

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-leak",
    "GITHUB_TOKEN": "ghp-leak",
    "AWS_SECRET_ACCESS_KEY": "aws-leak",
    "AWS_SECRET": "aws-short-leak",
    "API_KEY": "bare-key-leak",
    "token": "bare-token-leak",
    "DB_PASSWORD": "pw-leak",
    "MY_CREDENTIALS_FILE": "/creds-leak",
    "app_secret": "lower-leak",
    "PASSED_TOKEN": "allowed-through",
}
SHOW = "env | sort"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_which_names_are_secret() -> None:
    for name in SECRETS:
        assert is_secret(name), name
    for name in ("PATH", "HOME", "LANG", "TOKENIZERS_PARALLELISM", "SSH_AUTH_SOCK", "KEYBOARD"):
        assert not is_secret(name), name
    env = agent_environment(["passed_token"], {"PATH": "/bin", "A_TOKEN": "x", "PASSED_TOKEN": "y"})
    assert env == {"PATH": "/bin", "PASSED_TOKEN": "y"}


async def test_bash_jobs_and_hooks_see_no_secrets(
    secrets: None, temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    hook_env = tmp_path / "hook-env.txt"
    settings = {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": f"env > {hook_env}"}]}]}}
    model = script([
        [tool_use("Bash", {"command": SHOW}),
         tool_use("Bash", {"command": f"{SHOW} > job-env.txt", "run_in_background": True})],
        [tool_use("Bash", {"command": "sleep 1; cat job-env.txt"})],
        [text("done")],
    ])
    queue = f"secrets-{uuid.uuid4().hex[:8]}"
    worker = build_worker(
        temporal_client, task_queue=queue,
        policy=WorkerPolicy(env_passthrough=["PASSED_TOKEN"]),
        hooks=command_hooks(settings),  # the policy passes PASSED_TOKEN to hooks too
    )
    async with worker:
        session = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=model, prompt="show me", mode="autonomous", workspace=str(workspace),
            permission_mode="bypassPermissions",
            tools=["Bash", "BashOutput"],
        ))
        outcome = await asyncio.wait_for(session.result(), 60)
        assert outcome.text == "done"
        messages = (await session.transcript()).messages
    shell, _ = messages[2].content
    job = messages[4].content[0]
    assert isinstance(shell, ToolResultBlock) and isinstance(job, ToolResultBlock)
    seen = {"Bash": shell.content, "background job": job.content, "hook": hook_env.read_text()}
    everything = json.dumps([m.model_dump() for m in messages])
    for where, env in seen.items():
        assert "PATH=" in env and "HOME=" in env, where
        assert "PASSED_TOKEN=allowed-through" in env, where
        for name, value in SECRETS.items():
            if name != "PASSED_TOKEN":
                assert value not in env, (where, name)
    for name, value in SECRETS.items():
        if name != "PASSED_TOKEN":
            assert value not in everything, name

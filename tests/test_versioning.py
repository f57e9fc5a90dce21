"""Worker Versioning: `tenure worker --deployment-name --build-id` serves a version of a
Worker Deployment; once it is the deployment's current version, sessions run on it (and
record it), tools included."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from conftest import ScriptWriter, text, tool_use
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer, temporal_binary


async def test_sessions_run_on_the_current_deployment_version(
    dev_server: DevServer, temporal_client: Client, script: ScriptWriter, workspace: Path,
    tmp_path: Path,
) -> None:
    queue, deployment = f"versioned-{uuid.uuid4().hex[:8]}", f"tenure-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "TENURE_TASK_QUEUE": queue}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", "worker", "--deployment-name", deployment,
        "--build-id", "build-1", env=env, stdout=(tmp_path / "worker.log").open("ab"),
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        for _ in range(100):  # the version exists once the worker has polled
            setter = await asyncio.create_subprocess_exec(
                temporal_binary(), "worker", "deployment", "set-current-version",
                "--address", dev_server.address, "--deployment-name", deployment,
                "--build-id", "build-1", "--yes",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
            if await setter.wait() == 0:
                break
            await asyncio.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "worker.log").read_text())
        model = script([[tool_use("Bash", {"command": "echo versioned"})], [text("done")]])
        session = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=model, prompt="go", mode="autonomous", workspace=str(workspace),
            permission_mode="bypassPermissions"))
        outcome = await asyncio.wait_for(session.result(), 60)
        assert outcome.text == "done"
        description = await session.workflow.describe()
        info = description.raw_description.workflow_execution_info.versioning_info
        assert info.deployment_version.build_id == "build-1"
        assert info.deployment_version.deployment_name == deployment
    finally:
        worker.kill()
        await worker.wait()

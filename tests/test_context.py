"""Context injectors: fresh context in each model call, never in the transcript or history."""

from __future__ import annotations

import itertools
import subprocess
import uuid
from pathlib import Path

from fake_anthropic import FakeAnthropic
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.context import ContextRequest, git_status, working_directory
from tenure.workers import build_worker


async def test_context_is_fresh_each_call_and_stays_out_of_history(
    temporal_client: Client, fake: FakeAnthropic, workspace: Path
) -> None:
    counter = itertools.count(1)

    async def call_number(request: ContextRequest) -> str:
        return f"marker-{next(counter)} for turn {request.turn}"

    queue = f"context-{uuid.uuid4().hex[:8]}"
    fake.add(
        FakeAnthropic.stream([{"type": "tool_use", "name": "Glob", "input": {"pattern": "*"}}]),
        FakeAnthropic.stream(["done"]),
    )
    async with build_worker(temporal_client, task_queue=queue,
                            context=[working_directory, call_number]):
        agents = AgentClient(temporal_client, task_queue=queue)
        handle = await agents.start(SessionConfig(
            model="claude-test", prompt="look", mode="autonomous", workspace=str(workspace)))
        assert (await handle.result()).text == "done"
        transcript = await handle.transcript()
    assert "marker" not in transcript.model_dump_json()

    first, second = (r.body["messages"] for r in fake.requests)
    user = first[-1]["content"]
    assert user[0] == {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}}
    assert user[1]["text"] == f"<system-reminder>\nWorking directory: {workspace}\n</system-reminder>"
    assert "marker-1 for turn 1" in user[2]["text"]
    # The second call's prefix is the first call's without its context: the cache still hits.
    assert second[0]["content"] == [{"type": "text", "text": "look"}]
    assert "marker-2 for turn 2" in second[-1]["content"][-1]["text"]
    assert "marker-1" not in str(second)
    async for event in handle.workflow.fetch_history_events():
        assert b"marker-" not in event.SerializeToString()


async def test_git_status_injector(tmp_path: Path) -> None:
    request = ContextRequest("s", str(tmp_path), 1)
    assert await git_status(request) is None
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "new.txt").write_text("x")
    status = await git_status(request)
    assert status is not None and "## " in status and "?? new.txt" in status

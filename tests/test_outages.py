"""Outages: a session rides out a provider that keeps failing (retries with capped
backoff, each failure visible in status and on the stream) and a Temporal server that
goes away while a tool runs (the tool's result is kept, not lost)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from fake_anthropic import FakeAnthropic

from tenure import AgentClient, SessionConfig
from tenure.devserver import free_port, start_dev_server
from tenure.models import ToolResultBlock
from tenure.workers import build_worker, connect

from tenure.activities.model_call import MAX_RETRY_WAIT, retry_wait
from tenure.models.events import ModelError


async def test_a_long_provider_outage_is_ridden_out_in_view(
    fake: FakeAnthropic, start_session: StartSession
) -> None:
    failures = 12  # more than the 8 attempts a session used to get
    fake.add(
        *[FakeAnthropic.error(529, "overloaded_error", "Overloaded", {"retry-after": "0.5"})
          for _ in range(failures)],
        FakeAnthropic.stream(["Back."]),
    )
    session = await start_session("claude-test", prompt="hi", mode="autonomous")
    status = await wait_for(session, lambda s: s.model_retry is not None and s.model_retry.attempt >= 3)
    assert status.state.kind == "processing"
    assert status.model_retry is not None
    assert "Overloaded" in status.model_retry.message
    assert datetime.fromisoformat(status.model_retry.next_retry_at.replace("Z", "+00:00"))
    outcome = await asyncio.wait_for(session.result(), 60)
    assert outcome.text == "Back." and outcome.stop_reason == "end_turn"
    assert len(fake.requests) == failures + 1
    assert (await session.status()).model_retry is None
    errors = [item.event async for item in session.events() if isinstance(item.event, ModelError)]
    assert [e.attempt for e in errors] == list(range(1, failures + 1))
    assert all(e.retry_in_s == 0.5 and "Overloaded" in e.message for e in errors)


def test_backoff_doubles_up_to_its_cap_and_honours_retry_after() -> None:
    assert [retry_wait(a) for a in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert retry_wait(40) == MAX_RETRY_WAIT
    assert retry_wait(2, retry_after=7.0) == 7.0


async def test_a_tool_result_survives_a_30_second_server_outage(
    script: ScriptWriter, tmp_path: Path
) -> None:
    """The Bash command finishes while the server is down: the worker cannot deliver
    the result and gives up after a few seconds; the next attempt of the call comes back
    to the same host and collects the result it kept. The command ran once."""
    port, db = free_port(), tmp_path / "temporal.db"
    server = start_dev_server(port=port, ui_port=None, db_path=db)
    model = script([
        [tool_use("Bash", {"command": "echo ran >> runs.txt; sleep 3; echo finished"})],
        [text("done")],
    ])
    workspace = tmp_path / "ws"
    workspace.mkdir()
    try:
        client = await connect(server.address)
        async with build_worker(client, task_queue="outage"):
            session = await AgentClient(client, task_queue="outage").start(SessionConfig(
                model=model, prompt="go", mode="autonomous", workspace=str(workspace),
                permission_mode="bypassPermissions",
            ))
            await wait_for(session, state_is("executing_tool"))
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(30)
            server = await asyncio.to_thread(
                start_dev_server, port=port, ui_port=None, db_path=db
            )
            outcome = await asyncio.wait_for(session.result(), 120)
            assert outcome.text == "done"
            result = (await session.transcript()).messages[2].content[0]
            assert isinstance(result, ToolResultBlock)
            assert not result.is_error and "finished" in result.content, result.content
            assert (workspace / "runs.txt").read_text() == "ran\n"
    finally:
        server.stop()

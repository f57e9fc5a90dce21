"""Schedules: Temporal Schedules whose action starts an autonomous session, through
AgentClient.schedule and `tenure schedule`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, text
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.client.schedules import ScheduleInfo, format_duration, parse_duration
from tenure.devserver import DevServer

NEVER_ON_ITS_OWN = timedelta(days=3650)
"""An interval that does not come due during a test: runs are triggered by hand."""


def test_durations_read_as_people_write_them() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(hours=1, minutes=30)
    assert parse_duration("2d") == timedelta(days=2)
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_duration(parse_duration("1d2h3m4s")) == "1d2h3m4s"
    for bad in ("", "1x", "h", "5", "1h 30m", "0s", "-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


async def listed_with(agents: AgentClient, schedule_id: str) -> dict[str, ScheduleInfo]:
    """The schedules by id, once the list (which lags a creation by a moment) has this one."""
    for _ in range(100):
        listed = {s.id: s for s in await agents.schedules()}
        if schedule_id in listed:
            return listed
        await asyncio.sleep(0.1)
    raise AssertionError(f"{schedule_id} never showed in the list")


async def sessions_of(agents: AgentClient, schedule_id: str) -> list[str]:
    return [s.id for s in await agents.list() if s.schedule == schedule_id]


async def test_a_schedule_starts_sessions_that_say_where_they_came_from(
    agent_client: AgentClient, temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    schedule_id = f"report-{uuid.uuid4().hex[:6]}"
    config = SessionConfig(model=script([[text("Reported.")]] * 3), workspace=str(workspace),
                           mode="interactive")
    handle = await agent_client.schedule(schedule_id, config, prompt="write the report",
                                         every=NEVER_ON_ITS_OWN)
    try:
        listed = await listed_with(agent_client, schedule_id)
        assert listed[schedule_id].when == "every 3650d"
        assert listed[schedule_id].title == f"{schedule_id}: write the report"
        assert not listed[schedule_id].paused
        await handle.trigger()
        started: list[str] = []
        for _ in range(100):  # visibility lags a moment
            started = await sessions_of(agent_client, schedule_id)
            if started:
                break
            await asyncio.sleep(0.2)
        assert len(started) == 1 and started[0].startswith(f"{schedule_id}-")
        session = agent_client.get(started[0])
        outcome = await asyncio.wait_for(session.result(), 30)
        assert outcome.text == "Reported."  # an autonomous session, whatever the config said
        status = await session.status()
        assert status.title == f"{schedule_id}: write the report"
        await handle.pause()
        assert (await listed_with(agent_client, schedule_id))[schedule_id].paused
    finally:
        await handle.delete()
    assert schedule_id not in {s.id for s in await agent_client.schedules()}


async def test_tenure_schedule_creates_lists_triggers_pauses_and_deletes(
    dev_server: DevServer, task_queue: str, tmp_path: Path, script: ScriptWriter,
    workspace: Path, agent_client: AgentClient,
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    schedule_id = f"weekly-{uuid.uuid4().hex[:6]}"
    model = script([[text("Weekly done.")]])
    created = await tenure(env, "schedule", "create", schedule_id, "sum up the week",
                           "--cron", "0 9 1 1 *", "--model", model, "--workspace", str(workspace))
    assert created.code == 0, created
    again = await tenure(env, "schedule", "create", schedule_id, "twice", "--every", "1h",
                         "--model", model, "--workspace", str(workspace))
    assert again.code == 1 and "exists already" in again.stderr
    await listed_with(agent_client, schedule_id)  # the list lags a creation by a moment
    listed = await tenure(env, "schedule", "list")
    assert schedule_id in listed.stdout and "cron 0 9 1 1 *" in listed.stdout
    assert "active" in listed.stdout
    triggered = await tenure(env, "schedule", "trigger", schedule_id)
    assert triggered.code == 0, triggered
    for _ in range(100):
        if started := await sessions_of(agent_client, schedule_id):
            break
        await asyncio.sleep(0.2)
    await asyncio.wait_for(agent_client.get(started[0]).result(), 30)
    shown = await tenure(env, "sessions")
    line = next(row for row in shown.stdout.splitlines() if row.startswith(started[0]))
    assert line.endswith(f"schedule {schedule_id}")
    assert (await tenure(env, "schedule", "pause", schedule_id)).code == 0
    assert "paused" in (await tenure(env, "schedule", "list")).stdout
    assert (await tenure(env, "schedule", "unpause", schedule_id)).code == 0
    assert (await tenure(env, "schedule", "delete", schedule_id)).code == 0
    gone = await tenure(env, "schedule", "delete", schedule_id)
    assert gone.code == 1 and f"No schedule {schedule_id!r}" in gone.stderr


@pytest.mark.parametrize("args, says", [
    (["--every", "soon"], "Not a duration: 'soon'"),
    ([], "Say when: --cron EXPR, --every DURATION, or both."),
])
async def test_a_schedule_without_a_time_it_can_read_is_refused(
    dev_server: DevServer, task_queue: str, tmp_path: Path, args: list[str], says: str,
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    result = await tenure(env, "schedule", "create", "x", "task", *args, "--model",
                          "claude-test")
    assert result.code == 2 and says in result.stderr, result

"""Recurring work: Temporal Schedules whose action starts an autonomous AgentSession.

Temporal names each run's workflow `<schedule id>-<scheduled time>`, and sets the
`TemporalScheduledById` search attribute on it: that is how a session tells which
schedule started it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleListActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)

from temporalio.service import RPCError, RPCStatusCode

from tenure.models import SessionConfig

SUMMARY_LIMIT = 200
_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h`, `1d`, or several (`1h30m`); ValueError for anything else."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (say 90s, 15m, 1h, 1d or 1h30m)")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"a schedule's interval must be longer than 0, not {text!r}")
    return timedelta(seconds=seconds)


def format_duration(every: timedelta) -> str:
    """`1h30m` for 90 minutes: parse_duration's own notation."""
    left, parts = int(every.total_seconds()), []
    for unit, seconds in sorted(_UNIT_SECONDS.items(), key=lambda u: -u[1]):
        if left >= seconds:
            parts.append(f"{left // seconds}{unit}")
            left %= seconds
    return "".join(parts) or "0s"


@dataclass
class ScheduleInfo:
    id: str
    when: str
    """The cron expression and/or interval it was created with."""
    paused: bool
    title: str | None
    next_runs: list[datetime]
    recent_sessions: list[str]
    """Ids of the sessions its most recent actions started, oldest first."""


async def create_schedule(
    client: Client,
    schedule_id: str,
    config: SessionConfig,
    *,
    task_queue: str,
    cron: str | None = None,
    every: timedelta | None = None,
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP,
) -> ScheduleHandle:
    """A schedule that starts `config` as an autonomous session at each `cron` time
    and/or every `every`; a run due while the last one still works is skipped unless
    `overlap` says otherwise. The session's title starts with the schedule's id."""
    if not cron and not every:
        raise ValueError("a schedule needs a cron expression, an interval, or both")
    config = config.model_copy(update={
        "mode": "autonomous",
        "title": f"{schedule_id}: {config.display_title() or 'scheduled session'}",
    })
    title = (config.title or schedule_id)[:SUMMARY_LIMIT]
    when = " + ".join(
        p for p in (cron and f"cron {cron}", every and f"every {format_duration(every)}") if p
    )
    return await client.create_schedule(
        schedule_id,
        Schedule(
            action=ScheduleActionStartWorkflow(
                "AgentSession", config, id=schedule_id, task_queue=task_queue,
                static_summary=title, memo={"title": title},
            ),
            spec=ScheduleSpec(
                cron_expressions=[cron] if cron else [],
                intervals=[ScheduleIntervalSpec(every=every)] if every else [],
            ),
            policy=SchedulePolicy(overlap=overlap),
            state=ScheduleState(note=f"tenure: {title}"),
        ),
        memo={"when": when, "title": title},
    )


async def list_schedules(client: Client) -> list[ScheduleInfo]:
    """The schedules that start AgentSession workflows, by id (each described afresh:
    the list itself lags a pause or a run by a moment)."""
    found = []
    async for listed in await client.list_schedules():
        action = listed.schedule.action if listed.schedule else None
        if isinstance(action, ScheduleListActionStartWorkflow) and action.workflow == "AgentSession":
            try:
                found.append(await describe_schedule(client, listed.id))
            except RPCError as e:
                if e.status != RPCStatusCode.NOT_FOUND:  # (deleted meanwhile)
                    raise
    return sorted(found, key=lambda s: s.id)


async def describe_schedule(client: Client, schedule_id: str) -> ScheduleInfo:
    described = await client.get_schedule_handle(schedule_id).describe()
    return ScheduleInfo(
        id=schedule_id,
        when=await described.memo_value("when", "", type_hint=str),
        paused=described.schedule.state.paused,
        title=await described.memo_value("title", None, type_hint=str),
        next_runs=list(described.info.next_action_times),
        recent_sessions=[
            a.action.workflow_id for a in described.info.recent_actions
            if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
        ],
    )

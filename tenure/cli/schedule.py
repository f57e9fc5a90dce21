"""`tenure schedule`: recurring work on Temporal Schedules (tenure.client.schedules)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from temporalio.client import ScheduleAlreadyRunningError, ScheduleHandle
from temporalio.service import RPCError, RPCStatusCode

from tenure.cli import (
    AllowOption,
    DenyOption,
    MaxTurnsOption,
    ModelOption,
    ModeOption,
    ToolsOption,
    WorkspaceOption,
    _connect,
    _explained,
    _fail,
    _session_config,
    app,
    out,
)
from tenure.client import AgentClient
from tenure.models import DEFAULT_TOOLS
from tenure.client.schedules import parse_duration

T = TypeVar("T")
schedules = typer.Typer(
    help="Recurring sessions: Temporal Schedules that start an autonomous session.",
    no_args_is_help=True,
)
app.add_typer(schedules, name="schedule")
IdArgument = Annotated[str, typer.Argument(help="The schedule id.")]


@schedules.command()
def create(
    schedule_id: IdArgument,
    task: Annotated[str, typer.Argument(help="What each session should do.")],
    cron: Annotated[str | None, typer.Option(
        help='When, as a cron expression ("0 9 * * MON": Mondays at 9, UTC).')] = None,
    every: Annotated[str | None, typer.Option(
        help="How often: 90s, 15m, 1h, 1d, 1h30m.")] = None,
    model: ModelOption = None,
    workspace: WorkspaceOption = Path("."),
    mode: ModeOption = "default",
    max_turns: MaxTurnsOption = 50,
    tools: ToolsOption = ",".join(DEFAULT_TOOLS),
    allow: AllowOption = None,
    deny: DenyOption = None,
) -> None:
    """Start TASK as an autonomous session on a schedule. A run that comes due while the
    last one still works is skipped. Each session's id is `ID-<time>`, its title starts
    with ID, and `tenure sessions` shows the schedule."""
    if not cron and not every:
        _fail("Say when: --cron EXPR, --every DURATION, or both.", code=2)
    try:
        interval = parse_duration(every) if every else None
    except ValueError as e:
        _fail(str(e).capitalize() + ".", code=2)
    config = _session_config(
        model=model, prompt=task, workspace=workspace, mode=mode, session_mode="autonomous",
        max_turns=max_turns, tools=tools, allow=allow, deny=deny, title=None,
    )

    async def go() -> None:
        agents = AgentClient(await _connect())
        await agents.schedule(schedule_id, config, cron=cron, every=interval)

    _on_schedule(schedule_id, go)
    out.print(f"Created schedule {schedule_id}.")


@schedules.command(name="list")
def list_() -> None:
    """The schedules that start sessions."""

    async def go() -> None:
        found = await AgentClient(await _connect()).schedules()
        if not found:
            out.print('No schedules: create one with `tenure schedule create ID --every 1h "task"`.')
            return
        table = Table(box=None, header_style="bold")
        for column in ("ID", "WHEN", "STATE", "NEXT", "LAST SESSION", "TITLE"):
            table.add_column(column, no_wrap=column != "TITLE", overflow="ellipsis")
        for s in found:
            next_run = s.next_runs[0].astimezone().strftime("%Y-%m-%d %H:%M:%S") if s.next_runs else ""
            table.add_row(*(Text(c) for c in (
                s.id, s.when, "paused" if s.paused else "active", "" if s.paused else next_run,
                s.recent_sessions[-1] if s.recent_sessions else "", s.title or "")))
        out.print(table)

    with _explained():
        asyncio.run(go())


def _act(schedule_id: str, action: Callable[[ScheduleHandle], Awaitable[None]], done: str) -> None:
    async def go() -> None:
        await action((await _connect()).get_schedule_handle(schedule_id))

    _on_schedule(schedule_id, go)
    out.print(done)


def _on_schedule(schedule_id: str, go: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `go`, with a clear line for a schedule that is not there (or already is)."""
    with _explained():
        try:
            return asyncio.run(go())
        except ScheduleAlreadyRunningError:
            _fail(f"Schedule {schedule_id!r} exists already.")
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                _fail(f"No schedule {schedule_id!r}: `tenure schedule list` shows them.")
            raise


@schedules.command()
def pause(schedule_id: IdArgument) -> None:
    """Start no more sessions until unpaused."""
    _act(schedule_id, lambda h: h.pause(note="paused with tenure"), f"Paused {schedule_id}.")


@schedules.command()
def unpause(schedule_id: IdArgument) -> None:
    """Start sessions on schedule again."""
    _act(schedule_id, lambda h: h.unpause(note="unpaused with tenure"), f"Unpaused {schedule_id}.")


@schedules.command()
def trigger(schedule_id: IdArgument) -> None:
    """Start a session now (skipped if the last one still works)."""
    _act(schedule_id, lambda h: h.trigger(), f"Triggered {schedule_id}.")


@schedules.command()
def delete(schedule_id: IdArgument) -> None:
    """Delete the schedule (sessions it started go on)."""
    _act(schedule_id, lambda h: h.delete(), f"Deleted {schedule_id}.")

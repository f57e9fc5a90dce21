"""The tool calls running on this host process, by session and tool_use_id, so that a
side-effecting tool runs at most once however many attempts Temporal makes of its
`tool_call` activity.

A finished result can fail to reach Temporal: during a server outage the worker gives
up sending it after a few seconds, and the attempt then times out. The next attempt
comes back to this host (the session's host queue) and gets the result that was kept, or
attaches to the run still going on. An attempt that finds nothing here ran in a process
that is gone: its outcome is unknown, and the tool is not run again.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from temporalio import activity

from tenure.models import ToolResult

KEPT_RESULTS = 1024
"""Finished runs kept for a late attempt to collect (the oldest go first)."""

RunKey = tuple[str, str]
"""(session id, tool_use_id)"""


def unknown_outcome(tool_name: str) -> ToolResult:
    return ToolResult(
        content=f"The outcome of this {tool_name} call is unknown: the worker running it "
        "stopped before reporting a result, so it may or may not have taken effect. Check "
        "the current state before trying again.",
        is_error=True,
    )


class ToolRuns:
    def __init__(self) -> None:
        self._runs: OrderedDict[RunKey, asyncio.Task[ToolResult]] = OrderedDict()

    async def run_once(
        self, key: RunKey, tool_name: str, start: Callable[[], Coroutine[Any, Any, ToolResult]]
    ) -> ToolResult:
        """The run's result: started on the first attempt, collected by later ones."""
        run = self._runs.get(key)
        if run is None:
            if activity.info().attempt > 1:
                return unknown_outcome(tool_name)
            run = asyncio.create_task(start())
            self._runs[key] = run
            self._forget_oldest()
        try:
            return await asyncio.shield(run)
        except asyncio.CancelledError:
            details = activity.cancellation_details()
            if not details or not (details.timed_out or details.not_found):
                # An interrupt, or the worker shutting down: stop the tool itself.
                run.cancel()
                del self._runs[key]
            # Otherwise Temporal gave up on this attempt (it could not hear from it in
            # time); the run goes on, and the next attempt collects it.
            raise

    def _forget_oldest(self) -> None:
        done = [key for key, run in self._runs.items() if run.done()]
        for key in done[: max(0, len(self._runs) - KEPT_RESULTS)]:
            del self._runs[key]

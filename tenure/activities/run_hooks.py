"""The `run_hooks` activity: the worker's hooks for one event, combined."""

from __future__ import annotations

from temporalio import activity

from tenure.hooks import Hook, run_hooks
from tenure.models import HookInput, HookResult


class HooksActivity:
    def __init__(self, hooks: list[Hook]) -> None:
        self.hooks = hooks

    @activity.defn(name="run_hooks")
    async def run_hooks(self, event: HookInput) -> HookResult:
        return await run_hooks(self.hooks, event)

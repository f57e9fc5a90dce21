"""The terminal's screen: lines printed for good, above a transient region at the bottom
that is redrawn in place (the model's output as it streams, a spinner, the line being
typed)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live

TICK = 0.125
"""Seconds between two redraws of the region (its spinner moves)."""


class Screen:
    """Without a terminal (output to a pipe or a file) there is no region: only the
    printed lines."""

    def __init__(self, console: Console, region: Callable[[], RenderableType]) -> None:
        self.console = console
        self._live = (
            Live(console=console, get_renderable=region, transient=True, auto_refresh=False)
            if console.is_terminal else None
        )

    @contextlib.asynccontextmanager
    async def shown(self) -> AsyncIterator[Screen]:
        """The region on screen while inside; erased on the way out."""
        if self._live is None:
            yield self
            return
        with self._live:
            ticking = asyncio.create_task(self._tick())
            try:
                yield self
            finally:
                ticking.cancel()

    def print(self, *renderables: Any, **options: Any) -> None:
        self.console.print(*renderables, **options)

    def refresh(self) -> None:
        if self._live is not None and self._live.is_started:
            self._live.refresh()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            self.refresh()

"""Signals (Ctrl-C, SIGTERM) turned into callbacks on the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def on_signals(callback: Callable[[], None], *signals: signal.Signals) -> Iterator[None]:
    """Call `callback` on the running event loop when one of `signals` arrives."""
    loop = asyncio.get_running_loop()

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)

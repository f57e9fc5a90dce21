"""One follower of a session's event stream per API process, shared by all its viewers.

A workflow takes only a few updates in flight (about ten), and every follower of a
stream holds one while it waits for events. So however many people watch a session
through one API process, one SessionFeed follows it and keeps the recent frames in
memory; each viewer reads them from its own offset. A viewer that asks for older events
than the feed holds reads those with the stream's query (no update) and then joins.
When the last viewer of a session leaves, its feed stops: a closed tab costs nothing.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from tenure.client import AgentClient, SessionHandle, StreamedEvent

log = logging.getLogger(__name__)

CAPACITY = 4096
"""Frames a feed keeps for viewers that join late or lag behind..."""
CAPACITY_BYTES = 16 * 1024 * 1024
"""... and at most this many bytes of them (a message event can be large)."""


@dataclass(frozen=True)
class Frame:
    """One event as a server-sent event: `id` the stream offset, `event` its type."""

    offset: int
    type: str
    data: str

    @classmethod
    def of(cls, item: StreamedEvent) -> Frame:
        return cls(item.offset, item.event.type, item.event.model_dump_json())

    def encode(self) -> bytes:
        return f"id: {self.offset}\nevent: {self.type}\ndata: {self.data}\n\n".encode()


class FeedError(Exception):
    """The feed could not follow the session any further."""


class SessionFeed:
    def __init__(self, handle: SessionHandle, start: int, capacity: int = CAPACITY) -> None:
        self.handle = handle
        self.capacity = capacity
        self.frames: list[Frame] = []
        self._bytes = 0
        self.base = start
        """Every frame from this offset on is in `frames` (or still to come)."""
        self.finished = False
        self.error: str | None = None
        self.viewers = 0
        self._grown = asyncio.Event()
        self._task = asyncio.create_task(self._follow(), name=f"feed {handle.id}")

    async def _follow(self) -> None:
        try:
            async for item in self.handle.events(self.base):
                self._append(Frame.of(item))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - told to the viewers, who end
            log.warning("Following session %s failed: %s", self.handle.id, e)
            self.error = f"cannot follow session {self.handle.id}: {e}"
        finally:
            self.finished = True
            self._wake()

    def _append(self, frame: Frame) -> None:
        self.frames.append(frame)
        self._bytes += len(frame.data)
        if len(self.frames) > self.capacity or self._bytes > CAPACITY_BYTES:
            self._trim()
        self._wake()

    def _trim(self) -> None:
        """Drop the oldest frames, down to half the capacity (frames and bytes): viewers
        that want them read them by query."""
        cut = max(0, len(self.frames) - self.capacity // 2)
        kept = sum(len(f.data) for f in self.frames[cut:])
        while cut < len(self.frames) - 1 and kept > CAPACITY_BYTES // 2:
            kept -= len(self.frames[cut].data)
            cut += 1
        del self.frames[:cut]
        self._bytes = kept
        self.base = self.frames[0].offset

    def _wake(self) -> None:
        self._grown.set()
        self._grown = asyncio.Event()

    def stop(self) -> None:
        self._task.cancel()

    async def frames_from(self, offset: int, keepalive: float) -> AsyncIterator[Frame | None]:
        """Frames from `offset` on, ending after `session_end`; None when nothing came for
        `keepalive` seconds (time for a keep-alive). FeedError if the feed broke off."""
        while True:
            if offset < self.base:
                until = self.base  # (it moves on if the feed trims meanwhile: then again)
                async for item in self.handle.published(offset, until):
                    frame = Frame.of(item)
                    yield frame
                    if frame.type == "session_end":
                        return
                offset = until
                continue
            i = bisect.bisect_left(self.frames, offset, key=lambda f: f.offset)
            if i < len(self.frames):
                frame = self.frames[i]
                yield frame
                if frame.type == "session_end":
                    return
                offset = frame.offset + 1
                continue
            if self.finished:
                if self.error:
                    raise FeedError(self.error)
                return
            try:
                await asyncio.wait_for(self._grown.wait(), keepalive)
            except TimeoutError:
                yield None


class Feeds:
    """The feeds of one API process, by session id."""

    def __init__(self, client: AgentClient, capacity: int = CAPACITY) -> None:
        self.client = client
        self.capacity = capacity
        self._feeds: dict[str, SessionFeed] = {}

    def following(self) -> int:
        """How many sessions are followed now (one stream follower each)."""
        return len(self._feeds)

    async def watch(
        self, session_id: str, offset: int, keepalive: float
    ) -> AsyncGenerator[Frame | None, None]:
        """A viewer's frames from `offset` on (see SessionFeed.frames_from)."""
        feed = self._feeds.get(session_id)
        if feed is None or feed.error is not None:
            feed = SessionFeed(self.client.get(session_id), offset, self.capacity)
            self._feeds[session_id] = feed
        feed.viewers += 1
        try:
            async for frame in feed.frames_from(offset, keepalive):
                yield frame
        finally:
            feed.viewers -= 1
            if feed.viewers == 0:
                feed.stop()
                if self._feeds.get(session_id) is feed:
                    del self._feeds[session_id]

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.stop()
        self._feeds.clear()

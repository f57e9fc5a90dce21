"""Model output as it streams, published to the session's workflow stream in coalesced
pieces: the first piece at once (so a person sees the first token without delay), then
one piece per interval, or sooner once `MAX_CHARS` characters are waiting; never one
publish per token."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import BaseModel
from temporalio import activity
from temporalio.contrib.workflow_streams import WorkflowStreamClient

from tenure.models.events import DELTAS_TOPIC, ModelRetry, TextDelta, ThinkingDelta

INTERVAL = 0.075
"""Seconds of output gathered into one piece after the first."""
MAX_CHARS = 128
"""A piece this long goes out without waiting for the interval."""


class DeltaPublisher:
    """The StreamCallback a provider calls with each delta. A sender task publishes what
    has gathered, waits for the workflow to take it, then gathers for one interval."""

    def __init__(
        self, stream: WorkflowStreamClient, turn: int, attempt: int, text: bool = True
    ) -> None:
        self._stream = stream
        self._text = text
        """Whether text and thinking are published (someone follows the session)."""
        self._topic = stream.topic(DELTAS_TOPIC)
        self._turn = turn
        self._attempt = attempt
        self._kind = "text"
        self._pending = ""
        self._ready = asyncio.Event()
        self._full = asyncio.Event()
        self._closed = False
        self._sender = asyncio.create_task(self._send())

    def __call__(self, kind: str, text: str) -> None:
        if not self._text or kind not in ("text", "thinking") or not text:
            return
        if self._pending and kind != self._kind:
            self._cut()
        self._kind = kind
        self._pending += text
        self._ready.set()
        if len(self._pending) >= MAX_CHARS:
            self._full.set()

    def publish(self, event: BaseModel) -> None:
        self._cut()
        self._topic.publish(event.model_dump(mode="json"))
        self._ready.set()

    def _cut(self) -> None:
        """Move the gathered text into the stream client's buffer as one piece."""
        if self._pending:
            piece = TextDelta if self._kind == "text" else ThinkingDelta
            self._topic.publish(
                piece(turn=self._turn, attempt=self._attempt, text=self._pending).model_dump(
                    mode="json"
                )
            )
            self._pending = ""

    async def _send(self) -> None:
        while not self._closed:
            await self._ready.wait()
            self._ready.clear()
            self._full.clear()
            self._cut()
            await self._flush()
            if not self._closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), INTERVAL)

    async def _flush(self) -> None:
        try:
            await self._stream.flush()
        except Exception as e:  # noqa: BLE001 - the stream is a preview; the result counts
            activity.logger.warning("Could not publish the model's output: %s", e)

    async def close(self) -> None:
        """Publish what is left and stop the sender."""
        self._closed = True
        self._ready.set()
        self._full.set()
        await self._sender
        self._cut()
        await self._flush()


@asynccontextmanager
async def publishing_deltas(turn: int, text: bool = True) -> AsyncIterator[DeltaPublisher]:
    """A DeltaPublisher for this activity's model call, drained when the block ends.
    Without `text` (nobody follows the session) only retries and failures are published,
    sparing the session a workflow task per model call.

    A retry first publishes `model_retry`, so a subscriber drops the earlier attempt's
    partial output. Publishing is best effort: it never fails the model call.
    """
    attempt = activity.info().attempt
    publisher = DeltaPublisher(WorkflowStreamClient.from_within_activity(), turn, attempt, text)
    if attempt > 1:
        publisher.publish(ModelRetry(turn=turn, attempt=attempt))
    try:
        yield publisher
    finally:
        await publisher.close()

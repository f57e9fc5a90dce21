"""Following a session's event stream without writing its events into the history again.

The stream's own subscription (`WorkflowStreamClient.subscribe`) long-polls with an update
whose result carries the new events, so the session's history records every event once
more for each follower (twice the history per turn with one). Here the long poll is the
session's `wait_for_events` update, which returns only the offset the stream has reached,
and the events themselves are read with the stream's query, which leaves no trace in the
history. The session then continues as new no sooner for being watched.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.contrib.workflow_streams import PollInput, PollResult, WorkflowStreamClient
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from tenure.models.events import STREAM_OFFSET, STREAM_POLL, WAIT_FOR_EVENTS

CHECK_EVERY = timedelta(seconds=5)
"""While a long poll waits, how often the stream's offset is asked (see _wait_for_events)."""
RETRY_ATTEMPTS = 10
"""How many reads in a row are retried after a transient refusal."""
_TRANSIENT = {
    RPCStatusCode.FAILED_PRECONDITION,  # a run that is handing over to the next one
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,  # the client's own timeout of a call ("Timeout expired")
}
_DRAINING = "StreamDraining"
"""The stream's refusal of a poll while its run hands over."""
_CLOSED = {
    WorkflowExecutionStatus.COMPLETED,
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
}


async def _wait_for_events(handle: WorkflowHandle[Any, Any], offset: int) -> None:
    """Wait for events past `offset` (at once if there are some); this makes the
    subscriber count as following the session (its model output is streamed only then).
    A long poll sent just as a run hands over can be left without an answer, so every
    CHECK_EVERY the stream's offset is asked too (a query: nothing in the history)."""
    wait = asyncio.ensure_future(handle.execute_update(WAIT_FOR_EVENTS, offset, result_type=int))
    try:
        while True:
            done, _ = await asyncio.wait({wait}, timeout=CHECK_EVERY.total_seconds())
            if done:
                wait.result()
                return
            reached: int = await handle.query(STREAM_OFFSET, result_type=int)
            if reached > offset:
                return  # the stream went on without this poll
    finally:
        if not wait.done():
            wait.cancel()  # only the waiting here: the update ends with the next event
            # The SDK turns the cancel into an error of the task: looked at once it ends.
            wait.add_done_callback(lambda w: w.cancelled() or w.exception())
        elif not wait.cancelled():
            wait.exception()  # looked at: it no longer matters


async def _page(
    handle: WorkflowHandle[Any, Any], converter: PayloadConverter, topics: list[str], offset: int
) -> tuple[list[tuple[int, Any]], int, bool]:
    """One page of the stream from `offset`, read with its query: the (offset, decoded
    item) pairs, the offset to read on from, and whether more is ready already."""
    page: PollResult = await handle.query(
        STREAM_POLL, PollInput(topics=topics, from_offset=offset), result_type=PollResult
    )
    items = []
    for item in page.items:
        payload = Payload()
        payload.ParseFromString(base64.b64decode(item.data))
        items.append((item.offset, converter.from_payload(payload)))
    return items, page.next_offset, page.more_ready


async def read_stream(
    client: Client, session_id: str, topics: list[str], from_offset: int, until: int
) -> AsyncIterator[tuple[int, Any]]:
    """(offset, decoded item) of what the stream has published from `from_offset` up to
    `until` (not included), read with its query only: no update, nothing in the history,
    no share of the workflow's few updates in flight."""
    handle = client.get_workflow_handle(session_id)
    converter = client.data_converter.payload_converter
    offset = from_offset
    while offset < until:
        items, next_offset, more = await _page(handle, converter, topics, offset)
        for item_offset, item in items:
            if item_offset >= until:
                return
            yield item_offset, item
        if next_offset <= offset or not (items or more):
            return  # the stream has nothing more yet
        offset = next_offset


async def follow_stream(
    client: Client,
    session_id: str,
    topics: list[str],
    from_offset: int,
    poll_cooldown: timedelta,
) -> AsyncIterator[tuple[int, Any]]:
    """(offset, decoded item) of the session's stream from `from_offset` on, live, across
    continue-as-new, until the session's workflow has closed and every item is read. A
    session on a worker that has no `wait_for_events` (an older tenure) is followed with
    the stream's own subscription."""
    handle = client.get_workflow_handle(session_id)  # the latest run, whichever it is
    converter = client.data_converter.payload_converter
    offset, failures, closed, more = from_offset, 0, False, False
    while True:
        try:
            if not (more or closed):
                await _wait_for_events(handle, offset)
            items, next_offset, more = await _page(handle, converter, topics, offset)
            failures = 0
            for item_offset, item in items:
                offset = item_offset + 1
                yield item_offset, item
            offset = next_offset
            if closed and not more:
                return
            if not more and poll_cooldown:
                await asyncio.sleep(poll_cooldown.total_seconds())  # gather a few events
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == _DRAINING:
                await asyncio.sleep(max(poll_cooldown.total_seconds(), 0.01))
                continue
            # No such update on this worker: follow the old way, from where we are.
            stream = WorkflowStreamClient.create(client, session_id)
            async for old in stream.subscribe(topics, offset, poll_cooldown=poll_cooldown):
                yield old.offset, old.data
            return
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            if isinstance(err.__cause__, asyncio.CancelledError):
                raise err.__cause__
            if isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND:
                status = (await handle.describe()).status
                if status in _CLOSED:
                    closed = True  # read what is left, then stop
                    continue
            failures += 1
            transient = not isinstance(err, RPCError) or err.status in _TRANSIENT
            if not transient or failures > RETRY_ATTEMPTS:
                raise
            await asyncio.sleep(min(2.0, 0.05 * 2**failures))

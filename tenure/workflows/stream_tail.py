"""Handing the event stream's tail to the next run without its copies of the messages.

The tail a session carries over continue-as-new (so that followers go on without a gap)
holds `message` events, and each repeats content the carry already holds in `messages`:
a long conversation's tail would double the carry. A large message event whose content
is still in the model's context goes over as a reference (`MessageEventRef`, its item carried
empty); the new run rebuilds it from the carried messages, the same event a follower
would have read from the old run.

Workflow code: deterministic, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.contrib.workflow_streams import WorkflowStreamState

from tenure.models.carry import MessageEventRef
from tenure.models.events import MessageAdded
from tenure.models.messages import Message
from tenure.workflows.stream_store import SessionStream

BY_REFERENCE_BYTES = 1024
"""A message event from this size goes over by reference; a smaller one costs a handover
less than its reference would cost the workflow's memory until then."""


def context_position(
    index: int, messages: Sequence[Message], first_index: int, summarized: bool
) -> int | None:
    """Where the message with this index (among all ever exchanged) sits in the model's
    context, or None when compaction took it out."""
    position = index - first_index + (1 if summarized else 0)
    if position < (1 if summarized else 0) or position >= len(messages):
        return None
    return position


def slim_state(
    state: WorkflowStreamState,
    refs: dict[int, MessageEventRef],
    messages: Sequence[Message],
    first_index: int,
    summarized: bool,
) -> dict[int, MessageEventRef]:
    """Empty the items of `state` that the next run can rebuild from `messages`, and
    return the references it needs for that (by stream offset)."""
    carried: dict[int, MessageEventRef] = {}
    for offset, ref in refs.items():
        at = offset - state.base_offset
        position = context_position(ref.index, messages, first_index, summarized)
        if not 0 <= at < len(state.log) or position is None:
            continue
        if ref.end > len(messages[position].content):
            continue
        state.log[at].data = ""
        carried[offset] = ref
    return carried


def rebuild_items(
    stream: SessionStream,
    refs: dict[int, MessageEventRef],
    messages: Sequence[Message],
    first_index: int,
    summarized: bool,
) -> None:
    """Put back the message events a previous run carried as references."""
    kept = len(stream._log)  # noqa: SLF001 - the stream has no public size
    base = stream._base_offset  # noqa: SLF001
    converter = workflow.payload_converter()
    for offset, ref in refs.items():
        position = context_position(ref.index, messages, first_index, summarized)
        at = offset - base
        if position is None or not 0 <= at < kept:
            continue  # cannot happen with a carry this module slimmed
        event = MessageAdded(
            turn=ref.turn, at=ref.at, kind=ref.kind, index=ref.index,
            content=messages[position].content[ref.start : ref.end],
        )
        payload = converter.to_payloads([event.model_dump(mode="json")])[0]
        stream.replace(at, payload)

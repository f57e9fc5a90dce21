"""The session's event stream, its items kept as bytes.

temporalio's WorkflowStream keeps each item as a protobuf `Payload` object, which costs
about 1.6 KB of a worker's memory however small the event (measured: 20,000 payloads of
150 bytes). A session keeps every event it published (up to its tail's limits), so an
idle session after one turn held some 30 KB of them, more than the engine's own state
for the whole session. SessionStream keeps each item as the payload's serialized bytes
instead, which is all the stream needs of it: a poll or a handover sends exactly these
bytes (base64), and the size it checks is their length.

Workflow code: deterministic, no I/O.
"""

from __future__ import annotations

from typing import Any, cast

from temporalio.api.common.v1 import Payload
from temporalio.contrib.workflow_streams import (
    PublishInput,
    WorkflowStream,
    WorkflowStreamItem,
    WorkflowStreamState,
)


class StoredPayload:
    """A payload as its serialized bytes, with the two methods the stream calls on it."""

    __slots__ = ("_wire", "data_size")

    def __init__(self, payload: Payload) -> None:
        self._wire = payload.SerializeToString()
        self.data_size = len(payload.data)
        """The length of the payload's data (the event's JSON)."""

    def SerializeToString(self) -> bytes:  # noqa: N802 - the protobuf method's name
        return self._wire

    def ByteSize(self) -> int:  # noqa: N802
        return len(self._wire)


class StoredItem:
    """A stream item (a topic and its payload) without a dataclass's per-object dict."""

    __slots__ = ("topic", "data")

    def __init__(self, topic: str, payload: Payload) -> None:
        self.topic = topic
        self.data = StoredPayload(payload)


class SessionStream(WorkflowStream):
    """A WorkflowStream whose items are StoredItems. Construct it from the workflow's
    `@workflow.init`, as WorkflowStream requires."""

    def __init__(self, prior_state: WorkflowStreamState | None = None) -> None:
        super().__init__(prior_state)
        self._log = [_stored(item) for item in self._log]

    def _publish_to_topic(self, topic: str, value: Any) -> None:
        super()._publish_to_topic(topic, value)
        self._log[-1] = _stored(self._log[-1])

    def _on_publish(self, payload: PublishInput) -> None:
        first = len(self._log)
        super()._on_publish(payload)
        self._log[first:] = [_stored(item) for item in self._log[first:]]

    def last_size(self) -> int:
        """The data size of the newest item."""
        return cast(StoredPayload, self._log[-1].data).data_size

    def replace(self, at: int, payload: Payload) -> None:
        """Put `payload` in place of the item at index `at` of the kept log (same topic)."""
        item = StoredItem(self._log[at].topic, payload)
        self._log[at] = cast(WorkflowStreamItem[Payload], item)


def _stored(item: WorkflowStreamItem[Payload]) -> WorkflowStreamItem[Payload]:
    if isinstance(item, StoredItem):
        return item
    return cast(WorkflowStreamItem[Payload], StoredItem(item.topic, item.data))

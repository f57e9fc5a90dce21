"""The `archive_messages` activity: keep what compaction takes out of the model's context
in the payload store, so that people can still read every message ever exchanged."""

from __future__ import annotations

from temporalio import activity
from temporalio.converter import (
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)
from temporalio.exceptions import ApplicationError

from tenure.models.transcript import ArchivedSegment, ArchiveRequest


@activity.defn(name="archive_messages")
async def archive_messages(request: ArchiveRequest) -> ArchivedSegment:
    """Store the messages as one payload with the worker's payload store; return the
    claim that finds them again."""
    converter = activity.client().data_converter
    storage = converter.external_storage
    if storage is None or not storage.drivers:
        raise ApplicationError(
            "This worker has no payload store, so compacted messages cannot be kept",
            type="NoPayloadStore",
            non_retryable=True,
        )
    driver = storage.drivers[0]
    payload = converter.payload_converter.to_payloads([request.messages])[0]
    target = StorageDriverWorkflowInfo(
        namespace=activity.info().namespace, id=request.session_id, type="AgentSession"
    )
    claims = await driver.store(StorageDriverStoreContext(target=target), [payload])
    return ArchivedSegment(
        first_index=request.first_index,
        count=len(request.messages),
        driver=driver.name(),
        claim=dict(claims[0].claim_data),
    )

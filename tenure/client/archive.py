"""Reading back the messages compaction archived (see tenure.activities.archive)."""

from __future__ import annotations

from temporalio.converter import DataConverter, StorageDriverClaim, StorageDriverRetrieveContext

from tenure.models import Message
from tenure.models.transcript import ArchivedSegment


async def read_archived(converter: DataConverter, segment: ArchivedSegment) -> list[Message]:
    """The messages of an archived segment, read back from the payload store."""
    storage = converter.external_storage
    drivers = {d.name(): d for d in storage.drivers} if storage else {}
    driver = drivers.get(segment.driver)
    if driver is None:
        raise LookupError(
            f"Messages {segment.first_index}-{segment.first_index + segment.count - 1} are "
            f"kept in the payload store {segment.driver!r}, which this client is not "
            "configured with (see README, Payload store)"
        )
    (payload,) = await driver.retrieve(
        StorageDriverRetrieveContext(), [StorageDriverClaim(claim_data=segment.claim)]
    )
    messages: list[Message] = converter.payload_converter.from_payloads(
        [payload], [list[Message]]
    )[0]
    return messages

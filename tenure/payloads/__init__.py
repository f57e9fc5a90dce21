"""The payload store: payloads too large to sit comfortably in a Temporal history (big
model outputs and tool results, a long conversation carried over continue-as-new, the
messages compaction archives) go through Temporal's ExternalStorage to a store, and the
history keeps a small reference."""

from __future__ import annotations

import dataclasses
import os
from typing import ClassVar

from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter, ExternalStorage, StorageDriver

from tenure import settings
from tenure.payloads.files import FileStorageDriver

THRESHOLD = 256 * 1024
"""Payloads from this size (bytes) go to the store: every one Temporal would warn about
(it warns from 512 KB and refuses 2 MB) and none of a usual turn's."""


class SharedPayloadConverter(PydanticPayloadConverter):
    """Pydantic JSON, one instance per process. The SDK makes a payload converter for
    every workflow it runs, and pydantic's keeps a cache of TypeAdapters (their schemas
    built in Rust): a worker with a thousand idle sessions held a thousand converters
    and their caches. The converter has no other state, so one serves every session."""

    _instance: ClassVar[SharedPayloadConverter | None] = None
    _ready = False

    def __new__(cls) -> SharedPayloadConverter:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self) -> None:
        if not self._ready:
            super().__init__()
            self._ready = True


def data_converter() -> DataConverter:
    """tenure's data converter: pydantic JSON, payloads from THRESHOLD bytes to the
    store TENURE_PAYLOAD_STORE names: `files` (the default, under TENURE_PAYLOAD_DIR or
    the user data directory) or `s3` (bucket TENURE_S3_BUCKET)."""
    storage = ExternalStorage(drivers=[_driver()], payload_size_threshold=THRESHOLD)
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SharedPayloadConverter,
        external_storage=storage,
    )


def _driver() -> StorageDriver:
    kind = os.environ.get("TENURE_PAYLOAD_STORE", "files")
    if kind == "files":
        return FileStorageDriver(settings.payload_dir())
    if kind == "s3":
        bucket = os.environ.get("TENURE_S3_BUCKET")
        if not bucket:
            raise ValueError("TENURE_PAYLOAD_STORE=s3 needs TENURE_S3_BUCKET (a bucket name)")
        from tenure.payloads.s3 import s3_driver  # needs the `s3` extra (aioboto3)

        return s3_driver(bucket)
    raise ValueError(f"TENURE_PAYLOAD_STORE must be `files` or `s3`, not {kind!r}")

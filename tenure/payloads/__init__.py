"""The payload store: payloads too large to sit comfortably in a Temporal history (big
model outputs and tool results, a long conversation carried over continue-as-new, the
messages compaction archives) go through Temporal's ExternalStorage to a store, and the
history keeps a small reference."""

from __future__ import annotations

import dataclasses
import os

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, ExternalStorage, StorageDriver

from tenure import settings
from tenure.payloads.files import FileStorageDriver

THRESHOLD = 256 * 1024
"""Payloads from this size (bytes) go to the store: every one Temporal would warn about
(it warns from 512 KB and refuses 2 MB) and none of a usual turn's."""


def data_converter() -> DataConverter:
    """tenure's data converter: pydantic JSON, payloads from THRESHOLD bytes to the
    store TENURE_PAYLOAD_STORE names: `files` (the default, under TENURE_PAYLOAD_DIR or
    the user data directory) or `s3` (bucket TENURE_S3_BUCKET)."""
    storage = ExternalStorage(drivers=[_driver()], payload_size_threshold=THRESHOLD)
    return dataclasses.replace(pydantic_data_converter, external_storage=storage)


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

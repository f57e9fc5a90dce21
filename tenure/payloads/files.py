"""A payload store on the local filesystem: the embedded default (one machine)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

DRIVER_NAME = "tenure.files"


class FileStorageDriver(StorageDriver):
    """Each payload is one file named by the SHA-256 of its bytes, written atomically, so
    a retried or repeated store writes nothing new. Files are not deleted: a history
    that refers to one can be read (and replayed) for as long as it is kept."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def name(self) -> str:
        return DRIVER_NAME

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        return await asyncio.to_thread(lambda: [self._store(p) for p in payloads])

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        return await asyncio.to_thread(lambda: [self._retrieve(c) for c in claims])

    def _store(self, payload: Payload) -> StorageDriverClaim:
        data = payload.SerializeToString(deterministic=True)
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        return StorageDriverClaim(claim_data={"sha256": digest})

    def _retrieve(self, claim: StorageDriverClaim) -> Payload:
        digest = claim.claim_data.get("sha256", "")
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"Not a claim of the files payload store: {dict(claim.claim_data)}")
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Payload {path} is missing. The files payload store is local to one "
                "machine: workers and clients on several machines need the S3 store "
                "(TENURE_PAYLOAD_STORE=s3, see README)"
            ) from None
        payload = Payload()
        payload.ParseFromString(data)
        return payload

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

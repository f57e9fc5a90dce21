"""The payload store on S3 (or any S3-compatible store, such as MinIO): for clusters,
where workers and clients run on several machines. The SDK's S3 driver does the work;
this opens its aioboto3 client lazily, in the event loop that first uses it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from temporalio.contrib.aws.s3driver import S3StorageDriver, S3StorageDriverClient
from temporalio.contrib.aws.s3driver.aioboto3 import new_aioboto3_client


class LazyS3Client(S3StorageDriverClient):
    """An aioboto3 S3 client per event loop, opened on first use and kept for the
    process's life (credentials, region and endpoint from AWS's usual environment:
    AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL, ...)."""

    def __init__(self) -> None:
        import aioboto3

        self._session = aioboto3.Session()
        self._clients: dict[int, S3StorageDriverClient] = {}
        self._stacks: list[contextlib.AsyncExitStack] = []

    async def _client(self) -> S3StorageDriverClient:
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            stack = contextlib.AsyncExitStack()
            s3: Any = await stack.enter_async_context(self._session.client("s3"))
            self._stacks.append(stack)
            self._clients[loop] = new_aioboto3_client(s3)
        return self._clients[loop]

    async def put_object(self, *, bucket: str, key: str, data: bytes) -> None:
        await (await self._client()).put_object(bucket=bucket, key=key, data=data)

    async def object_exists(self, *, bucket: str, key: str) -> bool:
        return await (await self._client()).object_exists(bucket=bucket, key=key)

    async def get_object(self, *, bucket: str, key: str) -> bytes:
        return await (await self._client()).get_object(bucket=bucket, key=key)

    def describe(self) -> Mapping[str, str]:
        return {"client": "aioboto3 (lazy)"}


def s3_driver(bucket: str) -> S3StorageDriver:
    return S3StorageDriver(client=LazyS3Client(), bucket=bucket)

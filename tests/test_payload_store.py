"""The payload store: large payloads go through Temporal's ExternalStorage, never inline."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ScriptWriter, tool_use
from google.protobuf.message import Message as Proto
from processes import kill, start_worker
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import (
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer
from tenure.payloads import THRESHOLD, data_converter
from tenure.payloads.files import FileStorageDriver

FILE_BYTES = 1_500_000
FILES = 40


def payload_sizes(message: Proto) -> Iterator[int]:
    """The size of every Payload anywhere in a protobuf message (a history event)."""
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type and field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, Proto):
            items = [value]
        else:  # a repeated field
            items = list(value)
        for item in items:
            if isinstance(item, Payload):
                yield item.ByteSize()
            elif isinstance(item, Proto):
                yield from payload_sizes(item)


async def test_the_files_driver_round_trips_and_names_a_missing_payload(tmp_path: Path) -> None:
    driver = FileStorageDriver(tmp_path)
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"x" * 300_000 + b'"')
    first = await driver.store(StorageDriverStoreContext(), [payload])
    again = await driver.store(StorageDriverStoreContext(), [payload])
    assert first == again  # content-addressed: a retry stores nothing new
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    (back,) = await driver.retrieve(StorageDriverRetrieveContext(), first)
    assert back == payload
    for file in tmp_path.rglob("*"):
        if file.is_file():
            file.unlink()
    with pytest.raises(FileNotFoundError, match="local to one machine"):
        await driver.retrieve(StorageDriverRetrieveContext(), first)
    with pytest.raises(ValueError, match="Not a claim"):
        await driver.retrieve(
            StorageDriverRetrieveContext(), [StorageDriverClaim(claim_data={"sha256": "../x"})]
        )


def test_the_store_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENURE_PAYLOAD_STORE", "s3")
    monkeypatch.delenv("TENURE_S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="TENURE_S3_BUCKET"):
        data_converter()
    monkeypatch.setenv("TENURE_PAYLOAD_STORE", "tape")
    with pytest.raises(ValueError, match="`files` or `s3`"):
        data_converter()


async def test_forty_large_writes_survive_a_worker_kill_with_nothing_large_inline(
    temporal_client: Client,
    dev_server: DevServer,
    worker_processes: tuple[str, list[asyncio.subprocess.Process]],
    script: ScriptWriter,
    workspace: Path,
    tmp_path: Path,
) -> None:
    queue, processes = worker_processes
    log = tmp_path / "workers.log"
    contents = [chr(ord("a") + k % 26) * FILE_BYTES for k in range(FILES)]
    model = script([
        *[[tool_use("Write", {"file_path": f"file{k}.txt", "content": contents[k]})]
          for k in range(FILES)],
        "Wrote them all.",
    ])
    processes.append(await start_worker(dev_server, queue, log))
    handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
        model=model, prompt="write the files", mode="autonomous", workspace=str(workspace),
        permission_mode="acceptEdits", max_turns=FILES + 1,
    ))
    for _ in range(1200):
        if (workspace / "file15.txt").exists():
            break
        await asyncio.sleep(0.05)
    await kill(processes[-1])
    processes.append(await start_worker(dev_server, queue, log))
    outcome = await asyncio.wait_for(handle.result(), timeout=240)

    assert (outcome.stop_reason, outcome.text) == ("end_turn", "Wrote them all.")
    for k in range(FILES):
        assert (workspace / f"file{k}.txt").read_text() == contents[k], k
    history = await handle.workflow.fetch_history()
    sizes = [size for event in history.events for size in payload_sizes(event)]
    assert 0 < max(sizes) <= THRESHOLD < 1_000_000
    stored = [p for p in Path(os.environ["TENURE_PAYLOAD_DIR"]).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in stored) > FILES * FILE_BYTES


async def test_a_session_through_the_s3_store(
    monkeypatch: pytest.MonkeyPatch, dev_server: DevServer, script: ScriptWriter,
    workspace: Path,
) -> None:
    """TENURE_PAYLOAD_STORE=s3 against a real S3 API over HTTP (moto's server, standing
    in for AWS or MinIO): large payloads become objects in the bucket."""
    import aioboto3
    from moto.server import ThreadedMotoServer

    from tenure.workers import build_worker, connect

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
            "TENURE_PAYLOAD_STORE": "s3", "TENURE_S3_BUCKET": "tenure-payloads",
        }.items():
            monkeypatch.setenv(name, value)
        async with aioboto3.Session().client("s3") as s3:
            await s3.create_bucket(Bucket="tenure-payloads")
            client = await connect(dev_server.address)
            queue = f"s3-{os.urandom(4).hex()}"
            content = "s3 " * 200_000
            model = script([[tool_use("Write", {"file_path": "big.txt", "content": content})],
                            "Stored."])
            async with build_worker(client, task_queue=queue):
                handle = await AgentClient(client, task_queue=queue).start(SessionConfig(
                    model=model, prompt="write", mode="autonomous", workspace=str(workspace),
                    permission_mode="acceptEdits",
                ))
                outcome = await asyncio.wait_for(handle.result(), timeout=60)
                transcript = await handle.transcript()
            assert outcome.text == "Stored."
            assert (workspace / "big.txt").read_text() == content
            assert transcript.messages[1].content[0].input["content"] == content  # type: ignore[union-attr]
            listed = await s3.list_objects_v2(Bucket="tenure-payloads")
            assert listed.get("KeyCount", 0) >= 2  # the model's reply and the tool's input
    finally:
        server.stop()

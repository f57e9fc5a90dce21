"""The embedded server dies with the command that started it, however that command ends,
and two servers never share one database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from tenure.devserver import DevServer, free_port, is_listening
from tenure.models.search import SEARCH_ATTRIBUTES
from tenure.workers import connect


async def start(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", *args, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def until(condition: object, timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "200"}
    values.pop("ANTHROPIC_API_KEY", None)
    return values


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
async def test_the_server_tenure_run_started_dies_with_it(
    how: signal.Signals, env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    script = tmp_path / "slow.json"
    script.write_text(json.dumps([{"content": [{"type": "text", "text": "x"}], "delay_ms": 60_000}]))
    run = await start("run", "--model", f"scripted:{script}", "--yes", "wait",
                      env={**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    assert await until(lambda: is_listening(f"127.0.0.1:{port}"), 30), "no server started"
    run.send_signal(how)
    await run.wait()
    assert await until(lambda: not is_listening(f"127.0.0.1:{port}"), 15), "server outlived run"


async def test_a_second_dev_server_refuses_the_same_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "shared.db"
    first_port = free_port()
    first = await start("dev", "--port", str(first_port), "--ui-port", str(free_port()),
                        "--db", str(db), env=env)
    try:
        assert await until(lambda: is_listening(f"127.0.0.1:{first_port}"), 30)
        second = await start("dev", "--port", str(free_port()), "--ui-port", str(free_port()),
                             "--db", str(db), env=env)
        out, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode != 0
        message = (out + err).decode()
        assert "is in use by a dev server of process" in message and "--db" in message
        assert "Traceback" not in message
    finally:
        first.kill()
        await first.wait()
    # Killed, the first one let its server and its lock go: the database is free again.
    assert await until(lambda: not is_listening(f"127.0.0.1:{first_port}"), 15)


async def test_dev_says_which_models_it_can_serve(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    dev = await start("dev", "--port", str(port), "--ui-port", str(free_port()),
                      "--db", str(tmp_path / "t.db"), env=env)
    try:
        assert dev.stdout is not None
        seen = b""
        while b"Ctrl-C" not in seen:
            seen += await asyncio.wait_for(dev.stdout.readline(), 30)
        assert b"scripted:PATH only: ANTHROPIC_API_KEY is not set" in seen
    finally:
        dev.send_signal(signal.SIGINT)
        await asyncio.wait_for(dev.wait(), 30)


async def test_the_dev_server_has_every_search_attribute(dev_server: DevServer) -> None:
    client = await connect(dev_server.address)
    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert set(SEARCH_ATTRIBUTES) <= set(response.custom_attributes)
    assert len(SEARCH_ATTRIBUTES) == 6

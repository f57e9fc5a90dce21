"""The embedded server dies with the command that started it, however that command ends,
and two servers never share one database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from tenure.devserver import (
    DatabaseInUseError,
    DevServer,
    free_port,
    is_listening,
    lock_database,
    start_dev_server,
)
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


def db_in(env: dict[str, str]) -> Path:
    """The default database of the commands run with `env`."""
    return Path(env["XDG_DATA_HOME"]) / "tenure" / "temporal.db"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "200"}
    values.pop("ANTHROPIC_API_KEY", None)
    return values


@pytest.mark.parametrize("command, how", [
    ("run", signal.SIGKILL), ("run", signal.SIGTERM), ("run", signal.SIGHUP),
    ("dev", signal.SIGTERM), ("dev", signal.SIGHUP),
])
async def test_the_server_a_command_started_dies_with_it(
    command: str, how: signal.Signals, env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    script = tmp_path / "slow.json"
    script.write_text(json.dumps([{"content": [{"type": "text", "text": "x"}], "delay_ms": 60_000}]))
    if command == "run":
        args = ["run", "--model", f"scripted:{script}", "--yes", "wait"]
    else:
        args = ["dev", "--port", str(port), "--ui-port", str(free_port())]
    process = await start(*args, env={**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{port}"})
    assert await until(lambda: is_listening(f"127.0.0.1:{port}"), 30), "no server started"
    process.send_signal(how)
    await process.wait()
    assert await until(lambda: not is_listening(f"127.0.0.1:{port}"), 15), "server outlived it"
    # Its database is free again: the next command starts a server on it.
    again = start_dev_server(port=free_port(), ui_port=None, db_path=db_in(env))
    again.stop()


async def test_a_second_server_refuses_the_same_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    first_port = free_port()
    first = await start("dev", "--port", str(first_port), "--ui-port", str(free_port()),
                        env=env)
    try:
        assert await until(lambda: is_listening(f"127.0.0.1:{first_port}"), 30)
        second = await start("dev", "--port", str(free_port()), "--ui-port", str(free_port()),
                             "--db", str(db_in(env)), env=env)
        out, err = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 1
        message = (out + err).decode()
        assert f"{db_in(env)} is in use by the dev server at 127.0.0.1:{first_port}" in message
        assert "--db" in message and "Traceback" not in message
        # `tenure run` has no --db: it is told where that server is instead.
        run = await start("run", "--model", "scripted:x.json", "hi",
                          env={**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"})
        out, err = await asyncio.wait_for(run.communicate(), 30)
        assert run.returncode == 1
        assert f"set TEMPORAL_ADDRESS=127.0.0.1:{first_port} to use it" in err.decode()
    finally:
        first.kill()
        await first.wait()
    # Killed, the first one let its server and its lock go: the database is free again.
    assert await until(lambda: not is_listening(f"127.0.0.1:{first_port}"), 15)


def test_the_server_holds_its_database_until_it_has_exited(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    server = start_dev_server(port=free_port(), ui_port=None, db_path=db)
    try:
        assert server.db_lock is not None
        os.close(server.db_lock)  # as if the process that started it had died
        server.db_lock = None
        with pytest.raises(DatabaseInUseError):
            lock_database(db, "127.0.0.1:1", wait=0.5)
    finally:
        server.stop()
    os.close(lock_database(db, "127.0.0.1:1", wait=0))


def test_a_lock_whose_starter_is_gone_is_waited_for(tmp_path: Path) -> None:
    """The command that started a server died, and its server is stopping: the lock is
    waited for. A lock whose starter lives is refused at once."""
    db = tmp_path / "t.db"
    hold = "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); " \
           "fcntl.flock(fd, fcntl.LOCK_EX); print(flush=True); time.sleep(float(sys.argv[2]))"
    lock_file = tmp_path / "t.db.lock"
    for starter, seconds in ((os.getpid(), 5), (2**22 + 1, 1.5)):  # alive, then gone
        lock_file.write_text(f"{starter} 127.0.0.1:1")
        holder = subprocess.Popen([sys.executable, "-c", hold, str(lock_file), str(seconds)],
                                  stdout=subprocess.PIPE)
        assert holder.stdout is not None and holder.stdout.readline()
        began = time.monotonic()
        if starter == os.getpid():
            with pytest.raises(DatabaseInUseError, match=f"started by process {starter}"):
                lock_database(db, "127.0.0.1:2", wait=10)
            assert time.monotonic() - began < 1
        else:
            os.close(lock_database(db, "127.0.0.1:2", wait=10))
            assert time.monotonic() - began > 1
        holder.kill()
        holder.wait()


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
        log = Path(env["XDG_DATA_HOME"]) / "tenure" / "logs" / "worker.log"
        assert f"{log} (one line each here)".encode() in seen.replace(b"\n", b"")
    finally:
        dev.send_signal(signal.SIGINT)
        await asyncio.wait_for(dev.wait(), 30)


async def test_the_dev_server_has_every_search_attribute(dev_server: DevServer) -> None:
    client = await connect(dev_server.address)
    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert set(SEARCH_ATTRIBUTES) <= set(response.custom_attributes)
    assert len(SEARCH_ATTRIBUTES) == 7

"""`tenure serve` and `tenure token` as a person runs them: the command serves the API
with the development key, the token it mints opens it, and tokens stay out of its log."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, text

from tenure.devserver import DevServer, free_port


@pytest.fixture
async def served(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str], Path, asyncio.subprocess.Process]]:
    env = cli_env(dev_server, task_queue, tmp_path)
    for name in ("TENURE_JWT_JWKS", "TENURE_JWT_ISSUER", "TENURE_JWT_AUDIENCE"):
        env.pop(name, None)
    env["TENURE_DEV_KEY"] = str(tmp_path / "dev-key.pem")
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tenure.cli",
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=out,
            stderr=out,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(base_url + "/openapi.json")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.returncode is None, log.read_text()
                await asyncio.sleep(0.1)
        yield base_url, env, log, process
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def test_a_minted_token_opens_the_served_api(
    served: tuple[str, dict[str, str], Path, asyncio.subprocess.Process],
    script: ScriptWriter,
    workspace: Path,
) -> None:
    base_url, env, log, _ = served
    minted = await tenure(env, "token", "--sub", "gina")
    assert minted.code == 0, minted
    token = minted.stdout.strip()
    async with httpx.AsyncClient(base_url=base_url) as http:
        assert (await http.get("/sessions")).status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        started = await http.post(
            "/sessions",
            headers=headers,
            json={
                "model": script([[text("hello gina")]]),
                "prompt": "hi",
                "workspace": str(workspace),
            },
        )
        assert started.status_code == 201, started.text
        session_id = started.json()["session_id"]
        listed = await http.get("/sessions", params={"access_token": token})
        assert session_id in [s["session_id"] for s in listed.json()["sessions"]]
        assert (await http.delete(f"/sessions/{session_id}", headers=headers)).status_code == 202
    reader_only = await tenure(env, "token", "--sub", "gina", "--scope", "sessions:read")
    async with httpx.AsyncClient(base_url=base_url) as http:
        refused = await http.post(
            "/sessions",
            json={"model": "scripted:x"},
            headers={"Authorization": f"Bearer {reader_only.stdout.strip()}"},
        )
        assert refused.status_code == 403
    for _ in range(100):  # the access log line of the request with the token in its query
        if "GET /sessions?access_token=***" in log.read_text():
            break
        await asyncio.sleep(0.05)
    logged = log.read_text()
    assert "GET /sessions?access_token=***" in logged
    assert token not in logged


async def test_a_jwks_without_issuer_and_audience_is_refused_at_start(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> None:
    env = {**cli_env(dev_server, task_queue, tmp_path), "TENURE_JWT_JWKS": str(tmp_path / "k.json")}
    env.pop("TENURE_JWT_ISSUER", None)
    result = await tenure(env, "serve", "--port", str(free_port()), timeout=30)
    assert result.code == 2
    assert "TENURE_JWT_ISSUER" in result.stdout + result.stderr


async def test_open_event_streams_do_not_keep_the_server_from_stopping(
    served: tuple[str, dict[str, str], Path, asyncio.subprocess.Process],
    script: ScriptWriter,
    workspace: Path,
) -> None:
    base_url, env, log, process = served
    token = (await tenure(env, "token", "--sub", "hana")).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        started = await http.post(
            "/sessions", json={"model": script([[text("hi")]]), "workspace": str(workspace)}
        )
        session_id = started.json()["session_id"]
        async with http.stream("GET", f"/sessions/{session_id}/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event: session_start"):
                    break
            process.terminate()
            # uvicorn shuts down, then raises the SIGTERM it caught again (exit -15).
            assert await asyncio.wait_for(process.wait(), 60) in (0, -15)
    assert "Finished server process" in log.read_text()

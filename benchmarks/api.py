"""What the HTTP API adds: requests per second for a session's status, and the delay from
a model token to a viewer of the server-sent events, next to the Python client directly.

Runs a dev server the way `tenure dev` does, an in-process worker, the fake Anthropic
Messages API of tests/fake_anthropic.py in a thread of this process (so the server's write
times and the readers' receive times share one clock), and `tenure serve` in a subprocess
of its own, trusting a development key made for the run. Then, side by side:
1. `GET /sessions/{id}` (token verified, owner checked, status query) with `--concurrency`
   requests in flight, next to `SessionHandle.status()` with as many in flight;
2. first token: from the fake server writing the first text delta to the reader receiving
   it, for an SSE viewer of `GET /sessions/{id}/events` next to a subscriber on
   `SessionHandle.events()` (each subscribed before the prompt is sent; interleaved runs).

    python benchmarks/api.py [--requests 1000] [--concurrency 8] [--reps 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_anthropic import FakeAnthropic, FakeReply

from tenure import AgentClient, SessionConfig
from tenure.api import DevKey
from tenure.devserver import free_port, start_dev_server
from tenure.models.events import MessageAdded, TextDelta
from tenure.providers.anthropic import default_client
from tenure.workers import build_worker, connect

MODEL = "claude-sonnet-4-5"
TEXT = "Hello! I can help with that. Let me look at the repository first."
SETTLE = 0.2
"""Seconds between subscribing and sending the prompt, as a person takes to type one."""


def reply() -> FakeReply:
    return FakeAnthropic.stream(
        [TEXT], chunk_chars=8, delay_s=0.25, chunk_delay_s=0.02, pace_deltas_only=True
    )


def first_delta_written(fake: FakeAnthropic, before: int) -> float:
    request = fake.requests[before]
    return next(
        e.at
        for e in list(fake.sent)
        if e.request is request
        and e.event == "content_block_delta"
        and e.data["delta"]["type"] == "text_delta"
    )


async def rate(concurrency: int, requests: int, call: Callable[[], Awaitable[None]]) -> float:
    """Calls per second with `concurrency` in flight."""
    remaining = requests

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return requests / (time.perf_counter() - began)


async def direct_first_token(fake: FakeAnthropic, agents: AgentClient, workspace: str) -> float:
    handle = await agents.start(SessionConfig(model=MODEL, workspace=workspace))
    subscribed, answered = asyncio.Event(), asyncio.Event()
    received: list[float] = []

    async def follow() -> None:
        async for item in handle.events():
            subscribed.set()
            if isinstance(item.event, TextDelta) and not received:
                received.append(time.monotonic())
            elif isinstance(item.event, MessageAdded) and item.event.kind == "assistant":
                answered.set()

    task = asyncio.create_task(follow())
    await asyncio.wait_for(subscribed.wait(), 10)
    await asyncio.sleep(SETTLE)
    before = len(fake.requests)
    fake.add(reply())
    await handle.send("go")
    await asyncio.wait_for(answered.wait(), 60)
    await handle.end()
    await asyncio.wait_for(task, 10)
    return received[0] - first_delta_written(fake, before)


async def sse_first_token(fake: FakeAnthropic, http: httpx.AsyncClient, workspace: str) -> float:
    created = await http.post("/sessions", json={"model": MODEL, "workspace": workspace})
    path = "/sessions/" + quote(created.json()["session_id"], safe="")
    received: list[float] = []
    subscribed, answered = asyncio.Event(), asyncio.Event()

    async def view() -> None:
        event = ""
        async with http.stream("GET", path + "/events", timeout=60) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    subscribed.set()
                    if event == "text_delta" and not received:
                        received.append(time.monotonic())
                elif line.startswith("data: ") and event == "message":
                    if json.loads(line[6:])["kind"] == "assistant":
                        answered.set()

    task = asyncio.create_task(view())
    await asyncio.wait_for(subscribed.wait(), 10)
    await asyncio.sleep(SETTLE)
    before = len(fake.requests)
    fake.add(reply())
    await http.post(path + "/messages", json={"text": "go"})
    await asyncio.wait_for(answered.wait(), 60)
    await http.delete(path)
    await asyncio.wait_for(task, 10)
    return received[0] - first_delta_written(fake, before)


async def wait_for_api(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(url + "/openapi.json")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("tenure serve did not come up")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def main(requests: int, concurrency: int, reps: int) -> None:
    warnings.filterwarnings("ignore", message="The model .* is deprecated")
    with tempfile.TemporaryDirectory() as workspace, FakeAnthropic() as fake:
        os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
        os.environ["ANTHROPIC_API_KEY"] = "benchmark"
        default_client.cache_clear()
        key_path = Path(workspace) / "dev-key.pem"
        token = DevKey.load_or_create(key_path).mint("bench", "admin")
        server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
        port, queue = free_port(), "bench-api"
        env = {
            **os.environ,
            "TEMPORAL_ADDRESS": server.address,
            "TENURE_TASK_QUEUE": queue,
            "TENURE_DEV_KEY": str(key_path),
        }
        for name in ("TENURE_JWT_JWKS", "TENURE_JWT_ISSUER", "TENURE_JWT_AUDIENCE"):
            env.pop(name, None)
        api = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tenure.cli",
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            client = await connect(server.address)
            async with build_worker(client, task_queue=queue):
                await wait_for_api(base_url)
                agents = AgentClient(client, task_queue=queue)
                headers = {"Authorization": f"Bearer {token}"}
                limits = httpx.Limits(max_connections=concurrency * 2 + 4)
                async with httpx.AsyncClient(
                    base_url=base_url, headers=headers, limits=limits, timeout=60
                ) as http:
                    created = await http.post(
                        "/sessions", json={"model": MODEL, "workspace": workspace}
                    )
                    session_id = created.json()["session_id"]
                    handle = agents.get(session_id)
                    path = "/sessions/" + quote(session_id, safe="")

                    async def over_http() -> None:
                        response = await http.get(path)
                        assert response.status_code == 200, response.text

                    async def directly() -> None:
                        await handle.status()

                    await rate(concurrency, 50, over_http)  # warm up both paths
                    await rate(concurrency, 50, directly)
                    direct_rps, http_rps = [], []
                    for _ in range(3):  # interleaved rounds
                        direct_rps.append(await rate(concurrency, requests // 3, directly))
                        http_rps.append(await rate(concurrency, requests // 3, over_http))
                    await handle.end()

                    await direct_first_token(fake, agents, workspace)  # warm up
                    await sse_first_token(fake, http, workspace)
                    direct_ft, sse_ft = [], []
                    for _ in range(reps):
                        direct_ft.append(await direct_first_token(fake, agents, workspace))
                        sse_ft.append(await sse_first_token(fake, http, workspace))
        finally:
            api.terminate()
            await api.wait()
            server.stop()

    d, h = statistics.median(direct_rps), statistics.median(http_rps)
    print(
        f"\nA session's status, {concurrency} requests in flight ({requests} in all, "
        "median of 3 rounds)\n"
    )
    print("| reader | requests/s | ratio to direct |")
    print("|---|---:|---:|")
    print(f"| `SessionHandle.status()` | {d:,.0f} | 1.00 |")
    print(f"| `GET /sessions/{{id}}` (`tenure serve`) | {h:,.0f} | {h / d:.2f} |")
    print(
        f"\nFirst token: the fake server writes the first text delta -> the reader receives "
        f"it ({reps} runs each)\n"
    )
    print("| reader | median ms | max ms | ratio to direct (median) |")
    print("|---|---:|---:|---:|")
    base = statistics.median(direct_ft)
    for name, values in (
        ("subscriber on `handle.events()`", direct_ft),
        ("SSE viewer of `GET /sessions/{id}/events`", sse_ft),
    ):
        print(
            f"| {name} | {ms(statistics.median(values))} | {ms(max(values))} | "
            f"{statistics.median(values) / base:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.reps))

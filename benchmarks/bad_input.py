"""What bad input and outages cost, measured side by side in one run:

1. how long a start with an invalid SessionConfig takes to fail, next to a valid
   autonomous session that answers at once (the floor: one workflow task + one model call);
2. the size of `status` as rejected 1 MB signals pile up;
3. the longest server outage a finished tool's result survives (the server is stopped
   while a Bash command runs and started again on the same database).

    python benchmarks/bad_input.py [--starts 20] [--signals 40] [--outages 30,120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client, WorkflowFailureError

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer, free_port, start_dev_server
from tenure.workers import build_worker, connect


async def time_starts(client: Client, queue: str, model: str, starts: int) -> tuple[float, float]:
    """Median ms for a bad start to fail, and for a good one to complete."""
    bad, good = [], []
    for _ in range(starts):
        started = time.perf_counter()
        handle = await client.start_workflow(
            "AgentSession", {"model": model, "max_turns": 0},
            id=f"bad-{uuid.uuid4().hex[:8]}", task_queue=queue,
        )
        try:
            await handle.result()
        except WorkflowFailureError:
            bad.append(time.perf_counter() - started)
        started = time.perf_counter()
        session = await AgentClient(client, task_queue=queue).start(
            SessionConfig(model=model, prompt="hi", mode="autonomous")
        )
        await session.result()
        good.append(time.perf_counter() - started)
    return statistics.median(bad) * 1000, statistics.median(good) * 1000


async def status_sizes(client: Client, queue: str, model: str, signals: int) -> list[tuple[int, int]]:
    session = await AgentClient(client, task_queue=queue).start(SessionConfig(model=model))
    sizes = []
    for sent in range(1, signals + 1):
        await session.workflow.signal(
            "permission_response", {"request_id": "x" * 1_000_000, "decision": "allow"}
        )
        if sent in (1, 10, signals):
            while len((await session.status()).rejected_signals) < min(sent, 20):
                await asyncio.sleep(0.05)
            raw = await session.workflow.query("status")
            sizes.append((sent, len(json.dumps(raw))))
    await session.end()
    return sizes


async def outage_survived(outage: float, directory: Path) -> bool:
    port, db = free_port(), directory / f"outage-{int(outage)}.db"
    server: DevServer = start_dev_server(port=port, ui_port=None, db_path=db)
    script = directory / f"outage-{int(outage)}.json"
    script.write_text(json.dumps([
        [{"type": "tool_use", "id": "t1", "name": "Bash",
          "input": {"command": "sleep 3; echo finished"}}],
        "done",
    ]))
    try:
        client = await connect(server.address)
        async with build_worker(client, task_queue="outage"):
            session = await AgentClient(client, task_queue="outage").start(SessionConfig(
                model=f"scripted:{script}", prompt="go", mode="autonomous",
                permission_mode="bypassPermissions", workspace=str(directory),
            ))
            while (await session.status()).state.kind != "executing_tool":
                await asyncio.sleep(0.05)
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(outage)
            server = await asyncio.to_thread(start_dev_server, port=port, ui_port=None, db_path=db)
            await asyncio.wait_for(session.result(), 300)
            result = (await session.transcript()).messages[2].content[0]
            return "finished" in str(getattr(result, "content", ""))
    finally:
        server.stop()


async def main(starts: int, signals: int, outages: list[float]) -> None:
    directory = Path(tempfile.mkdtemp())
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
    script = directory / "hello.json"
    script.write_text(json.dumps(["hello"]))
    model = f"scripted:{script}"
    try:
        client = await connect(server.address)
        async with build_worker(client, task_queue="bench"):
            bad_ms, good_ms = await time_starts(client, "bench", model, starts)
            sizes = await status_sizes(client, "bench", model, signals)
    finally:
        server.stop()
    print(f"| start | median ms ({starts} runs) | ratio |\n|---|---:|---:|")
    print(f"| valid session, one model call, to its result | {good_ms:.1f} | 1.00 |")
    print(f"| invalid SessionConfig, to the workflow's failure | {bad_ms:.1f} | {bad_ms / good_ms:.2f} |")
    print("\n| rejected 1 MB signals | status bytes |\n|---:|---:|")
    for sent, size in sizes:
        print(f"| {sent} | {size:,} |")
    print("\n| server outage while a tool runs, s | finished result kept |\n|---:|---|")
    for outage in outages:
        print(f"| {outage:.0f} | {'yes' if await outage_survived(outage, directory) else 'NO'} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--signals", type=int, default=40)
    parser.add_argument("--outages", default="30,120")
    args = parser.parse_args()
    asyncio.run(main(args.starts, args.signals, [float(o) for o in args.outages.split(",")]))

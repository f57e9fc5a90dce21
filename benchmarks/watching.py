"""What watching a session costs: asking for its status, and following its event stream.

    python benchmarks/watching.py [--queries 500] [--turns 40]

Part 1, a UI that polls: `queries` status queries, one after another, on an idle session,
next to the same number of queries on the floor workflow (benchmarks/floor.py, whose query
returns an int), each kind on a worker subprocess of its own. Worker and server CPU per
query are read from /proc.

Part 2, a UI that follows: an interactive session does `turns` turns (a Glob and an answer
each, on the scripted provider) with nobody following it, then another does them with one
subscriber on `SessionHandle.events()`. It prints the history bytes and events each turn
adds, and the worker's CPU per turn, for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from light import Kind, floor_kind, spawn, tenure_kind
from temporalio.client import Client, WorkflowHandle

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer, free_port, start_dev_server
from tenure.workers import connect


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def query_cost(kind: Kind, server: DevServer, query: str, queries: int) -> tuple[float, float]:
    """Worker and server CPU milliseconds per query on an idle session."""
    handle = await kind.idle_session()
    await asyncio.sleep(1)
    worker, serving = kind.cpu_seconds(), cpu_seconds(server.process.pid)
    for _ in range(queries):
        await handle.query(query)
    return ((kind.cpu_seconds() - worker) / queries * 1000,
            (cpu_seconds(server.process.pid) - serving) / queries * 1000)


async def history(client: Client, session_id: str) -> tuple[int, int]:
    """Bytes and events of the session's history (its current run)."""
    events = (await client.get_workflow_handle(session_id).fetch_history()).events
    return sum(e.ByteSize() for e in events), len(events)


async def turns_cost(agents: AgentClient, kind: Kind, model: str, workspace: str, turns: int,
                     followed: bool) -> tuple[float, float, float]:
    """History bytes, history events and worker CPU ms per turn."""
    session: SessionHandle = await agents.start(
        SessionConfig(model=model, workspace=workspace, max_turns=4))
    handle: WorkflowHandle[object, object] = session.workflow
    await kind.turn(handle)
    seen: list[int] = []

    async def follow() -> None:
        async for item in session.events():
            seen.append(item.offset)

    follower = asyncio.create_task(follow()) if followed else None
    await asyncio.sleep(1)
    size, count = await history(agents.client, session.id)
    cpu = kind.cpu_seconds()
    for _ in range(turns):
        await kind.turn(handle)
    await asyncio.sleep(0.5)  # the follower's last poll
    cpu = kind.cpu_seconds() - cpu
    after_size, after_count = await history(agents.client, session.id)
    await session.end()
    if follower:
        await asyncio.wait_for(follower, 30)
        assert seen == list(range(len(seen))), "the follower missed events"
    return (after_size - size) / turns, (after_count - count) / turns, cpu / turns * 1000


async def main(queries: int, turns: int) -> None:
    directory = Path(tempfile.mkdtemp())
    script = directory / "turns.json"
    glob = [{"type": "tool_use", "id": "t", "name": "Glob", "input": {"pattern": "*.txt"}}]
    script.write_text(json.dumps([glob, "done"] * (turns + 5)))
    model = f"scripted:{script}"
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address}
    workers = []
    try:
        client = await connect(server.address)
        tenure_queue, floor_queue = f"watch-{uuid.uuid4().hex[:6]}", "watch-floor"
        workers.append(await spawn("-m", "tenure.workers", env={**env, "TENURE_TASK_QUEUE": tenure_queue}))
        workers.append(await spawn(str(Path(__file__).with_name("floor.py")), floor_queue, env=env))
        await asyncio.sleep(3)
        tenure = tenure_kind(client, tenure_queue, workers[0], model, str(directory))
        floor = floor_kind(client, floor_queue, workers[1])
        floor_cpu = await query_cost(floor, server, "turns_done", queries)
        tenure_cpu = await query_cost(tenure, server, "status", queries)
        agents = AgentClient(client, task_queue=tenure_queue)
        began = time.perf_counter()
        alone = await turns_cost(agents, tenure, model, str(directory), turns, followed=False)
        followed = await turns_cost(agents, tenure, model, str(directory), turns, followed=True)
    finally:
        for process in workers:
            process.kill()
        server.stop()
    print(f"| per query ({queries} on an idle session) | floor (`turns_done`) | tenure (`status`) | ratio |")
    print("|---|---:|---:|---:|")
    for name, index in (("worker CPU, ms", 0), ("server CPU, ms", 1)):
        print(f"| {name} | {floor_cpu[index]:.2f} | {tenure_cpu[index]:.2f} | "
              f"{tenure_cpu[index] / floor_cpu[index]:.2f} |")
    print(f"\n| per turn ({turns} turns) | nobody following | one follower | ratio |")
    print("|---|---:|---:|---:|")
    for name, index in (("history bytes", 0), ("history events", 1), ("worker CPU, ms", 2)):
        print(f"| {name} | {alone[index]:,.1f} | {followed[index]:,.1f} | "
              f"{followed[index] / alone[index]:.2f} |")
    print(f"\n({time.perf_counter() - began:.0f} s for part 2)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.queries, args.turns))

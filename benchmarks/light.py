"""How light a session is, next to the engine's floor, measured side by side in one run.

The floor is a bare Temporal workflow that the benchmarks carry themselves
(benchmarks/floor.py): it waits for a message signal, then runs three no-op activities
(the two model calls and the tool call of a turn) and waits again. The AgentSession does the same turn for real with the
scripted provider (a Glob, then an answer). Each kind runs on a worker in a subprocess of
its own, so its CPU time and memory are read from /proc.

    python benchmarks/light.py [--sessions 1000] [--conversations 50] [--turns 5]

1. one more turn on an idle interactive session (message sent to turn done, polled);
2. worker CPU per turn over `conversations` x `turns` turns;
3. worker memory per idle session, and the time to start `sessions` of them (each
   with its first turn), with the worker's and the dev server's CPU time per session
   started: starting is CPU-bound, and the server does most of it.
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
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WorkflowHandle

from tenure.devserver import free_port, start_dev_server
from tenure.models import SessionConfig
from tenure.workers import connect

TICK = 0.002
ROUNDS = 100
"""Turns timed in `one more turn`, after the session's first."""


class Kind:
    """One side of the comparison: how to start a session, and how many turns it did."""

    def __init__(self, name: str, client: Client, queue: str, worker: asyncio.subprocess.Process,
                 start: Callable[[str], Awaitable[WorkflowHandle[object, object]]],
                 turns: Callable[[WorkflowHandle[object, object]], Awaitable[int]]) -> None:
        self.name, self.client, self.queue, self.worker = name, client, queue, worker
        self.start, self.turns = start, turns
        self.started: list[WorkflowHandle[object, object]] = []
        """The idle sessions started so far."""

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.worker.pid)

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.worker.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    async def turn(self, handle: WorkflowHandle[object, object]) -> None:
        """Send a message and wait until the turn it starts is done."""
        while (before := await self.turns(handle)) < 0:
            await asyncio.sleep(TICK)
        await handle.signal("user_message", {"text": "next"})
        while await self.turns(handle) <= before:
            await asyncio.sleep(TICK)

    async def idle_session(self) -> WorkflowHandle[object, object]:
        handle = await self.start(f"{self.name}-{uuid.uuid4().hex[:10]}")
        await self.turn(handle)
        self.started.append(handle)
        return handle


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        total += cpu_seconds(int(child))
    return total


def tenure_kind(client: Client, queue: str, worker: asyncio.subprocess.Process, model: str,
                workspace: str) -> Kind:
    async def start(session_id: str) -> WorkflowHandle[object, object]:
        config = SessionConfig(model=model, workspace=workspace, max_turns=4)
        return await client.start_workflow("AgentSession", config, id=session_id, task_queue=queue)

    async def turns(handle: WorkflowHandle[object, object]) -> int:
        status = await handle.query("status")
        assert isinstance(status, dict)
        if status["state"]["kind"] == "error":  # nothing more would come: do not wait
            raise RuntimeError(f"{handle.id}: {status['state'].get('message')}")
        done = status["state"]["kind"] == "idle"
        return int(status["turn"]) // 2 if done else -1

    return Kind("tenure", client, queue, worker, start, turns)


def floor_kind(client: Client, queue: str, worker: asyncio.subprocess.Process) -> Kind:
    async def start(session_id: str) -> WorkflowHandle[object, object]:
        return await client.start_workflow("FloorSession", id=session_id, task_queue=queue)

    async def turns(handle: WorkflowHandle[object, object]) -> int:
        return int(await handle.query("turns_done"))

    return Kind("floor", client, queue, worker, start, turns)


async def spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=open(Path(tempfile.gettempdir()) / "light-worker.log", "ab"),
    )


def in_turn(kinds: list[Kind], round_: int) -> list[Kind]:
    """The kinds in the order they take round `round_`: each goes first in every other
    round. The dev server slows down as it fills up (whichever kind ran second used to pay
    for the sessions of the first), so the kinds interleave rather than run one after
    the other."""
    return kinds if round_ % 2 == 0 else kinds[::-1]


async def one_more_turn(kinds: list[Kind], rounds: int = ROUNDS) -> dict[str, float]:
    """Median ms from a message to the end of the turn it starts, on an idle session."""
    handles = {kind.name: await kind.idle_session() for kind in kinds}
    times: dict[str, list[float]] = {kind.name: [] for kind in kinds}
    for round_ in range(rounds):
        for kind in in_turn(kinds, round_):
            started = time.perf_counter()
            await kind.turn(handles[kind.name])
            times[kind.name].append(time.perf_counter() - started)
    return {name: statistics.median(taken) * 1000 for name, taken in times.items()}


async def cpu_per_turn(kinds: list[Kind], conversations: int, turns: int) -> dict[str, float]:
    """Worker CPU ms per turn, `conversations` at a time."""
    handles = {kind.name: [await kind.start(f"{kind.name}-cpu-{uuid.uuid4().hex[:8]}")
                           for _ in range(conversations)] for kind in kinds}
    await asyncio.sleep(1)
    spent = dict.fromkeys(handles, 0.0)
    for round_ in range(turns):
        for kind in in_turn(kinds, round_):
            before = kind.cpu_seconds()
            await asyncio.gather(*(kind.turn(h) for h in handles[kind.name]))
            spent[kind.name] += kind.cpu_seconds() - before
    return {name: cpu / (conversations * turns) * 1000 for name, cpu in spent.items()}


async def idle_sessions(kinds: list[Kind], sessions: int, server: int) -> dict[str, list[float]]:
    """For each kind: KB per idle session, seconds to start `sessions` of them (ten at a
    time, each with its first turn), and the worker's and the server's (pid `server`) CPU
    ms per session started."""
    await asyncio.sleep(2)
    memory = {kind.name: kind.rss_bytes() for kind in kinds}
    spent = {kind.name: [0.0, 0.0, 0.0] for kind in kinds}  # seconds, worker and server CPU
    for round_ in range(sessions // 10):
        for kind in in_turn(kinds, round_):
            worker_cpu, server_cpu = kind.cpu_seconds(), cpu_seconds(server)
            started = time.perf_counter()
            await asyncio.gather(*(kind.idle_session() for _ in range(10)))
            taken = spent[kind.name]
            taken[0] += time.perf_counter() - started
            taken[1] += kind.cpu_seconds() - worker_cpu
            taken[2] += cpu_seconds(server) - server_cpu
    await asyncio.sleep(2)
    return {
        kind.name: [(kind.rss_bytes() - memory[kind.name]) / sessions / 1024,
                    spent[kind.name][0],
                    spent[kind.name][1] / sessions * 1000,
                    spent[kind.name][2] / sessions * 1000]
        for kind in kinds
    }


async def start_kinds(client: Client, address: str, prefix: str,
                      workers: list[asyncio.subprocess.Process]) -> list[Kind]:
    """The floor and tenure, each on a worker subprocess of its own (added to `workers`
    for the caller to kill) with task queues `<prefix>-floor` and `<prefix>-tenure`;
    tenure's sessions play a Glob and an answer per turn in a temporary workspace."""
    directory = Path(tempfile.mkdtemp())
    script = directory / "turns.json"
    glob = [{"type": "tool_use", "id": "t", "name": "Glob", "input": {"pattern": "*.txt"}}]
    script.write_text(json.dumps([glob, "done"] * (ROUNDS + 1)))  # a turn: two model calls
    env = {**os.environ, "TEMPORAL_ADDRESS": address}
    floor_queue, tenure_queue = f"{prefix}-floor", f"{prefix}-tenure"
    workers.append(await spawn(str(Path(__file__).with_name("floor.py")), floor_queue, env=env))
    floor_worker = workers[-1]
    tenure_env = {**env, "TENURE_TASK_QUEUE": tenure_queue}
    workers.append(await spawn("-m", "tenure.workers", env=tenure_env))
    await asyncio.sleep(3)
    return [floor_kind(client, floor_queue, floor_worker),
            tenure_kind(client, tenure_queue, workers[-1], f"scripted:{script}", str(directory))]


async def main(sessions: int, conversations: int, turns: int) -> None:
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
    workers: list[asyncio.subprocess.Process] = []
    try:
        client = await connect(server.address)
        kinds = await start_kinds(client, server.address, "light", workers)
        rows: dict[str, list[float]] = {k.name: [] for k in kinds}
        for name, value in (await one_more_turn(kinds)).items():
            rows[name].append(value)
        for name, value in (await cpu_per_turn(kinds, conversations, turns)).items():
            rows[name].append(value)
        for name, values in (await idle_sessions(kinds, sessions, server.process.pid)).items():
            rows[name] += values
    finally:
        for process in workers:
            process.kill()
        server.stop()
    floor = rows["floor"]
    names = ["one more turn on an idle interactive session, ms",
             f"worker CPU per turn ({conversations} conversations x {turns} turns), ms",
             f"worker memory per idle session ({sessions} sessions), KB",
             f"time to start {sessions} sessions, s",
             "worker CPU per session started, ms",
             "server CPU per session started, ms"]
    print("| figure | floor | tenure | ratio |\n|---|---:|---:|---:|")
    for index, name in enumerate(names):
        value = rows["tenure"][index]
        print(f"| {name} | {floor[index]:.1f} | {value:.1f} | {value / floor[index]:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.conversations, args.turns))

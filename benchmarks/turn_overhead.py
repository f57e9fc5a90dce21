"""Turn overhead of an AgentSession against the floor of a bare Temporal workflow.

Runs a dev server the way `tenure dev` does (same dynamic config), then measures, side by
side in one run:
1. the time per turn (one model call + one tool call) of an AgentSession with the scripted
   provider, next to a bare workflow that calls two no-op activities per turn;
2. the Temporal history bytes one turn adds as the transcript grows (10 KB, 100 KB, 1 MB).

    python benchmarks/turn_overhead.py [--turns 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from tenure import AgentClient, SessionConfig
from tenure.devserver import free_port, start_dev_server
from tenure.workers import AgentPlugin, connect


@activity.defn
async def noop() -> None:
    return None


@workflow.defn(sandboxed=False)  # as AgentSession runs; the module imports tenure
class BareTurns:
    @workflow.run
    async def run(self, turns: int) -> None:
        for _ in range(turns):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=10))
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=10))


def write_script(directory: Path, turns: int) -> str:
    tool_turn = [{"type": "tool_use", "id": "t", "name": "Glob", "input": {"pattern": "*.txt"}}]
    steps = [tool_turn] * turns + [[{"type": "text", "text": "done"}]]
    path = directory / f"script-{turns}.json"
    path.write_text(json.dumps(steps))
    return f"scripted:{path}"


async def time_agent(agents: AgentClient, model: str, workspace: Path, turns: int) -> float:
    config = SessionConfig(model=model, prompt="go", mode="autonomous", workspace=str(workspace),
                           max_turns=turns + 1)
    started = time.perf_counter()
    handle = await agents.start(config)
    await handle.result()
    # turns tool turns + the final answer: turns+1 model calls and turns tool calls.
    return (time.perf_counter() - started) / turns


async def time_bare(client: Client, queue: str, turns: int) -> float:
    started = time.perf_counter()
    await client.execute_workflow(BareTurns.run, turns, id=f"bare-{uuid.uuid4().hex}", task_queue=queue)
    return (time.perf_counter() - started) / turns


async def history_bytes(client: Client, workflow_id: str) -> int:
    description = await client.get_workflow_handle(workflow_id).describe()
    return description.raw_description.workflow_execution_info.history_size_bytes


async def history_per_turn(agents: AgentClient, client: Client, directory: Path, size: int) -> float:
    """History bytes added by one turn once the transcript holds `size` bytes."""
    model = write_script(directory, 40)
    handle = await agents.start(SessionConfig(model=model, prompt="x" * size, workspace=str(directory),
                                              max_turns=2))
    # max_turns=2 stops after two model calls; one more user message runs two more.
    await _wait_idle(handle, turn=2)
    before = await history_bytes(client, handle.id)
    await handle.send("again")
    await _wait_idle(handle, turn=4)
    after = await history_bytes(client, handle.id)
    await handle.end()
    return (after - before) / 2


async def _wait_idle(handle, turn: int) -> None:  # type: ignore[no-untyped-def]
    while True:
        status = await handle.status()
        if status.state.kind == "idle" and status.turn >= turn:
            return
        await asyncio.sleep(0.02)


async def main(turns: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "a.txt").write_text("a")
        server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
        try:
            client = await connect(server.address)
            queue = "bench"
            worker = Worker(client, task_queue=queue, workflows=[BareTurns], activities=[noop],
                            plugins=[AgentPlugin()])
            async with worker:
                agents = AgentClient(client, task_queue=queue)
                model = write_script(directory, turns)
                await time_agent(agents, model, directory, 2)  # warm up
                await time_bare(client, queue, 2)
                agent_times, bare_times = [], []
                for _ in range(rounds):
                    agent_times.append(await time_agent(agents, model, directory, turns))
                    bare_times.append(await time_bare(client, queue, turns))
                agent = statistics.median(agent_times) * 1000
                bare = statistics.median(bare_times) * 1000
                print(f"\nTime per turn (median of {rounds} rounds x {turns} turns)\n")
                print("| workflow | ms per turn | ratio to floor |")
                print("|---|---:|---:|")
                print(f"| bare: two no-op activities | {bare:.1f} | 1.00 |")
                print(f"| AgentSession: model call + tool call | {agent:.1f} | {agent / bare:.2f} |")

                print("\nHistory bytes added per turn as the transcript grows\n")
                print("| transcript | bytes per turn | ratio to transcript |")
                print("|---:|---:|---:|")
                for size in (10_000, 100_000, 1_000_000):
                    per_turn = await history_per_turn(agents, client, directory, size)
                    print(f"| {size // 1000} KB | {per_turn:,.0f} | {per_turn / size:.2f} |")
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.rounds))

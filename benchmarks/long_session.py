"""A session that runs for weeks, compressed: many turns on one session, measured as it ages.

    python benchmarks/long_session.py [--turns 10000] [--compact-every 100]

Part 1: an interactive session on the scripted provider, one Read per turn (a turn is two
model calls and one tool call), on a worker in a subprocess of its own (its memory read
from /proc). Every `compact-every` turns the scripted reply reports input tokens past
the compaction threshold, as a model's full context would, so the session compacts
automatically; the stock dev server suggests continue-as-new (at 4 K events). It prints
the time per turn at turns 100, 1,000, 5,000 and 10,000 (median of the 20 turns
before each; with a compaction every 100 turns, all four sit at the same point of the
cycle, where the context is largest, so they compare the session's age alone), the
worker's RSS at 1,000 turns and at the end, history events and bytes per run, and the
cost of a compaction.

Part 2: the continue-as-new handover as the conversation grows (512 KB user messages,
a dev server that suggests continue-as-new after 40 events): from the old run's last
workflow task starting to the new run's first workflow task done, which covers writing
the carried conversation to the payload store and reading it back. The server's own
pause between two runs of one workflow id (`history.workflowIdReuseMinimalInterval`,
1 s, so that a workflow cannot continue as new in a tight loop) is set to 0 there: these
runs last a few turns, a real one thousands of events, far longer than that pause.
Part 2 runs `--repeat` sessions and prints the median of each handover. `--turns 0` runs
part 2 alone.
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
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.models import TranscriptPage
from tenure.devserver import free_port, start_dev_server
from tenure.workers import connect

CONTEXT_WINDOW = 20_000
"""The window the session compacts against (a small one: the scripted model's replies
are small, so a realistic window would take a million turns to fill)."""
MARKS = (100, 1_000, 5_000, 10_000)
WINDOW = 20
TICK = 0.002


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def spawn_worker(env: dict[str, str], queue: str) -> asyncio.subprocess.Process:
    log = open(Path(tempfile.gettempdir()) / "long-session-worker.log", "ab")  # noqa: SIM115
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.workers", env={**env, "TENURE_TASK_QUEUE": queue},
        stdout=asyncio.subprocess.DEVNULL, stderr=log,
    )


async def turn(session: SessionHandle, message: str, calls: int = 2, tick: float = TICK) -> None:
    """Send a message and wait until the session is idle again after `calls` model calls
    (a compaction's summary call does not count), asking for its status every `tick`
    seconds."""
    before = (await session.status()).turn
    await session.send(message)
    while True:
        status = await session.status()
        if status.state.kind == "idle" and status.turn >= before + calls:
            return
        if status.state.kind == "error":
            raise RuntimeError(status.state.message)
        await asyncio.sleep(tick)


async def history_of_runs(client: Client, session_id: str) -> list[tuple[int, int]]:
    """(events, bytes) of each run of the session, oldest first."""
    runs = [r async for r in client.list_workflows(f"WorkflowId = '{session_id}'")]
    sizes = []
    for run in reversed(runs):
        history = await client.get_workflow_handle(session_id, run_id=run.run_id).fetch_history()
        sizes.append((len(history.events), sum(e.ByteSize() for e in history.events)))
    return sizes


def context_bytes(page: TranscriptPage) -> int:
    return len(json.dumps([m.model_dump(mode="json") for m in page.messages]))


def script(path: Path, turns: int, compact_every: int) -> None:
    """One Read and one answer per turn; every `compact_every`-th answer reports a full
    context (input tokens past 0.8 x CONTEXT_WINDOW)."""
    items: list[object] = []
    for n in range(1, turns + 1):
        items.append([{"type": "tool_use", "id": f"toolu_{n}", "name": "Read",
                       "input": {"file_path": "notes.txt"}}])
        full = n % compact_every == 0
        items.append({"content": [{"type": "text", "text": f"Read it ({n})."}],
                      "usage": {"input_tokens": CONTEXT_WINDOW if full else 1_000,
                                "output_tokens": 10}})
    path.write_text(json.dumps(items))


async def long_session(turns: int, compact_every: int, directory: Path) -> None:
    (directory / "notes.txt").write_text("a note\n" * 20)
    path = directory / "turns.json"
    script(path, turns, compact_every)
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address,
           "TENURE_PAYLOAD_DIR": str(directory / "payloads")}
    queue = f"long-{uuid.uuid4().hex[:6]}"
    worker = await spawn_worker(env, queue)
    try:
        client = await connect(server.address)
        agents = AgentClient(client, task_queue=queue)
        session = await agents.start(SessionConfig(
            model=f"scripted:{path}", workspace=str(directory), tools=["Read"],
            compaction={"context_window": CONTEXT_WINDOW}))
        times: list[float] = []
        rss: dict[int, int] = {}
        compactions: list[tuple[float, int, int]] = []
        """(seconds, transcript bytes before, after) of each turn that compacted."""
        for n in range(1, turns + 1):
            compacts = n > compact_every and n % compact_every == 1
            before = await session.transcript() if compacts else None
            started = time.perf_counter()
            await turn(session, f"read the notes ({n})")
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            if before is not None:
                after = await session.transcript()
                compactions.append((elapsed, context_bytes(before), context_bytes(after)))
            if n in (1_000, turns):
                await asyncio.sleep(1)
                rss[n] = rss_bytes(worker.pid)
            if n % 1000 == 0:
                print(f"  ... {n} turns", file=sys.stderr)
        runs = await history_of_runs(client, session.id)
        await session.end()
    finally:
        worker.kill()
        server.stop()

    print(f"\n{turns} turns, one Read each, compaction every {compact_every} turns\n")
    print("| turn | ms per turn (median of 20) | ratio to turn 100 |\n|---:|---:|---:|")
    first = None
    for mark in (m for m in MARKS if m <= turns):
        around = times[max(0, mark - WINDOW):mark]
        ordinary = [t for t in around if t < 3 * statistics.median(around)]
        value = statistics.median(ordinary) * 1000
        first = first or value
        print(f"| {mark:,} | {value:.1f} | {value / first:.2f} |")
    print("\n| worker RSS | MB | ratio to 1,000 turns |\n|---|---:|---:|")
    base = rss.get(1_000) or rss[turns]
    for n, value in sorted(rss.items()):
        print(f"| after {n:,} turns | {value / 2**20:.1f} | {value / base:.2f} |")
    events = [e for e, _ in runs]
    sizes = [b for _, b in runs]
    print("\n| runs | history events per run (mean / max) | history KB per run (mean / max) |")
    print("|---:|---:|---:|")
    print(f"| {len(runs)} | {statistics.mean(events):,.0f} / {max(events):,} | "
          f"{statistics.mean(sizes) / 1024:,.0f} / {max(sizes) / 1024:,.0f} |")
    if compactions:
        ordinary = statistics.median(times)
        cost = statistics.median(c[0] for c in compactions)
        was = statistics.median(c[1] for c in compactions)
        size = statistics.median(c[2] for c in compactions)
        print("\n| compaction (median of {}) | value |\n|---|---:|".format(len(compactions)))
        print(f"| turn without / with a compaction, ms | {ordinary * 1000:.1f} / {cost * 1000:.1f} |")
        print("| model calls of the turn | 2 / 3 |")
        print(f"| context before / after, KB | {was / 1024:.1f} / {size / 1024:.1f} |")


async def handover_times(directory: Path, messages: int) -> list[tuple[float, float]]:
    """(conversation MB carried, handover ms) of each continue-as-new of a session fed
    `messages` user messages of 512 KB each."""
    path = directory / "ok.json"
    path.write_text(json.dumps(["ok"] * (messages + 1)))
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True,
                              dynamic_config=["limit.historyCount.suggestContinueAsNew=40",
                                              # runs here last well under a second
                                              'history.workflowIdReuseMinimalInterval="0s"'])
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address,
           "TENURE_PAYLOAD_DIR": str(directory / "payloads")}
    os.environ["TENURE_PAYLOAD_DIR"] = env["TENURE_PAYLOAD_DIR"]  # this process's client too
    queue = f"handover-{uuid.uuid4().hex[:6]}"
    worker = await spawn_worker(env, queue)
    try:
        client = await connect(server.address)
        session = await AgentClient(client, task_queue=queue).start(SessionConfig(
            model=f"scripted:{path}", workspace=str(directory), tools=[]))
        chunk = "x" * (512 * 1024 - 1) + "\n"
        for n in range(messages):
            # Handovers are timed from the history: no need to ask for status often (a
            # query is a workflow task on the worker, which would compete with them).
            await turn(session, f"{n}:" + chunk, 1, tick=0.05)
        await asyncio.sleep(1)
        runs = [r async for r in client.list_workflows(f"WorkflowId = '{session.id}'")]
        runs.reverse()
        result = []
        for old, new in zip(runs, runs[1:]):
            old_history = await client.get_workflow_handle(session.id, run_id=old.run_id).fetch_history()
            new_history = await client.get_workflow_handle(session.id, run_id=new.run_id).fetch_history()
            began = [e for e in old_history.events
                     if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED][-1]
            done = next(e for e in new_history.events
                        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
            start = new_history.events[0].workflow_execution_started_event_attributes
            carry = (await client.data_converter.decode(start.input.payloads))[1]
            size = len(json.dumps(carry["messages"])) / 2**20
            took = done.event_time.ToDatetime() - began.event_time.ToDatetime()
            result.append((size, took.total_seconds() * 1000))
        await session.end()
        return result
    finally:
        worker.kill()
        server.stop()


async def main(turns: int, compact_every: int, messages: int, repeat: int) -> None:
    if turns:
        await long_session(turns, compact_every, Path(tempfile.mkdtemp()))
    sessions = [await handover_times(Path(tempfile.mkdtemp()), messages) for _ in range(repeat)]
    print(f"\n| conversation carried, MB | continue-as-new handover, ms (median of {repeat}) |"
          "\n|---:|---:|")
    for handovers in zip(*sessions):
        size = statistics.median(size for size, _ in handovers)
        took = statistics.median(took for _, took in handovers)
        print(f"| {size:.1f} | {took:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--compact-every", type=int, default=100)
    parser.add_argument("--messages", type=int, default=24, help="512 KB messages in part 2")
    parser.add_argument("--repeat", type=int, default=5, help="sessions in part 2")
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.compact_every, args.messages, args.repeat))

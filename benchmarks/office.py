"""An office of agents, measured side by side in one run (scripted models, a real dev server).

    python benchmarks/office.py [--sessions 100] [--repeat 10]

1. Parallel tool calls: five read-only calls of 1 s each in one model reply, next to the
   same five calls in five replies (one after another). Wall time from the first
   tool_call scheduled to the last completed, from the history.
2. Subagent overhead: from the Agent call (the parent's start of the child workflow) to
   the child's first model request (its model_call starting), next to a plain session's
   own time from its start to its first model request.
3. An office on one worker (a `python -m tenure.workers` subprocess): `sessions` sessions
   with 3 subagents each, all at once, next to the same number of plain sessions doing
   the same work themselves. Turns (model calls) per second, worker CPU per turn, and
   worker memory per session (peak RSS over the idle worker's, per session started).
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
from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle, ToolContext, tool
from tenure.devserver import free_port, start_dev_server
from tenure.models.agents import AgentDefinition
from tenure.workers import build_worker, connect


class Nap(BaseModel):
    seconds: float = 1.0


@tool(kind="read")
async def nap(input: Nap, ctx: ToolContext) -> str:
    """Sleeps (a read-only call that takes a while)."""
    await asyncio.sleep(input.seconds)
    return "rested"


def use(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:8]}", "name": name,
            "input": tool_input}


class Scripts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, turns: list[Any]) -> str:
        path = self.folder / f"script-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(turns))
        return f"scripted:{path}"


async def times_of(handle: SessionHandle, event_type: int, activity: str | None = None
                   ) -> list[float]:
    """Event times of one kind in a session's history (for activities: of one type)."""
    history = await handle.workflow.fetch_history()
    names: dict[int, str] = {}
    found = []
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            names[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
        if e.event_type != event_type:
            continue
        if activity is not None:
            attributes = (e.activity_task_started_event_attributes
                          if event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
                          else e.activity_task_completed_event_attributes)
            if names.get(attributes.scheduled_event_id) != activity:
                continue
        found.append(e.event_time.ToDatetime().timestamp())
    return found


async def tool_span(handle: SessionHandle) -> float:
    started = await times_of(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, "tool_call")
    done = await times_of(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, "tool_call")
    return max(done) - min(started)


async def parallel_reads(agents: AgentClient, scripts: Scripts, workspace: str) -> tuple[float, float]:
    naps = [use("nap", {"seconds": 1.0}) for _ in range(5)]
    one_reply = await agents.start(SessionConfig(
        model=scripts([naps, "done"]), prompt="nap", mode="autonomous", workspace=workspace,
        tools=["nap"], max_turns=10))
    await one_reply.result()
    one_by_one = await agents.start(SessionConfig(
        model=scripts([*([n] for n in naps), "done"]), prompt="nap", mode="autonomous",
        workspace=workspace, tools=["nap"], max_turns=10))
    await one_by_one.result()
    return await tool_span(one_reply), await tool_span(one_by_one)


async def subagent_overhead(agents: AgentClient, scripts: Scripts, workspace: str,
                            repeat: int) -> tuple[float, float]:
    child_model = scripts(["hi"])
    to_child, to_own = [], []
    for _ in range(repeat):
        parent = await agents.start(SessionConfig(
            model=scripts([[use("Agent", {"description": "d", "prompt": "say hi",
                                          "subagent_type": "c"})], "done"]),
            prompt="go", mode="autonomous", workspace=workspace, tools=["Agent"],
            agents={"c": AgentDefinition(description="d", prompt="p", model=child_model)}))
        await parent.result()
        child = parent.subagent(f"{parent.id}/agent-1")
        asked = await times_of(
            parent, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
        first_call = await times_of(child, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, "model_call")
        to_child.append(first_call[0] - asked[0])
        plain = await agents.start(SessionConfig(
            model=child_model, prompt="say hi", mode="autonomous", workspace=workspace))
        await plain.result()
        began = await times_of(plain, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
        own = await times_of(plain, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, "model_call")
        to_own.append(own[0] - began[0])
    return statistics.median(to_child) * 1000, statistics.median(to_own) * 1000


class WorkerProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


async def office(agents: AgentClient, worker: WorkerProcess, scripts: Scripts, workspace: str,
                 sessions: int, subagents: bool) -> tuple[float, float, float]:
    """Turns per second, worker CPU ms per turn, and worker KB per session."""
    glob = use("Glob", {"pattern": "*"})
    child_model = scripts([[glob], "child done"])
    if subagents:
        calls = [use("Agent", {"description": f"part {k}", "prompt": "look",
                               "subagent_type": "c"}) for k in range(3)]
        config = SessionConfig(
            model=scripts([calls, "done"]), prompt="split it", mode="autonomous",
            workspace=workspace, tools=["Agent", "Glob"],
            agents={"c": AgentDefinition(description="d", prompt="p", model=child_model)})
    else:  # the same model calls and tool calls, in one session
        config = SessionConfig(
            model=scripts([[glob], [glob], [glob], "done"]), prompt="do it all",
            mode="autonomous", workspace=workspace, tools=["Glob"])
    await asyncio.sleep(2)
    rss, cpu, started = worker.rss_bytes(), worker.cpu_seconds(), time.perf_counter()
    peak = rss
    handles = await asyncio.gather(*(agents.start(config) for _ in range(sessions)))
    waiting = asyncio.gather(*(h.result() for h in handles))
    while not waiting.done():
        peak = max(peak, worker.rss_bytes())
        await asyncio.sleep(0.2)
    outcomes = await waiting
    elapsed, used = time.perf_counter() - started, worker.cpu_seconds() - cpu
    turns = sum(o.turns for o in outcomes)
    if subagents:  # each child's two model calls
        children = await asyncio.gather(*(
            h.subagent(f"{h.id}/agent-{k}").result() for h in handles for k in (1, 2, 3)))
        turns += sum(o.turns for o in children)
    count = sessions * (4 if subagents else 1)
    return turns / elapsed, used / turns * 1000, (peak - rss) / count / 1024


async def main(sessions: int, repeat: int) -> None:
    folder = Path(tempfile.mkdtemp())
    scripts = Scripts(folder)
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
    process = None
    try:
        client: Client = await connect(server.address)
        queue = f"office-{uuid.uuid4().hex[:6]}"
        async with build_worker(client, task_queue=queue, tools=[nap]):
            agents = AgentClient(client, task_queue=queue)
            together, apart = await parallel_reads(agents, scripts, str(folder))
            to_child, to_own = await subagent_overhead(agents, scripts, str(folder), repeat)
        office_queue = f"office-worker-{uuid.uuid4().hex[:6]}"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tenure.workers",
            env={**os.environ, "TEMPORAL_ADDRESS": server.address,
                 "TENURE_TASK_QUEUE": office_queue},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=open(Path(tempfile.gettempdir()) / "office-worker.log", "ab"),
        )
        await asyncio.sleep(3)
        worker, agents = WorkerProcess(process), AgentClient(client, task_queue=office_queue)
        plain = await office(agents, worker, scripts, str(folder), sessions, subagents=False)
        split = await office(agents, worker, scripts, str(folder), sessions, subagents=True)
    finally:
        if process:
            process.kill()
        server.stop()
    print("| figure | tenure | next to | value | ratio |\n|---|---:|---|---:|---:|")
    print(f"| 5 read-only calls of 1 s, one reply, s | {together:.2f} | five replies | "
          f"{apart:.2f} | {together / apart:.2f} |")
    print(f"| Agent call to the child's first model request, ms | {to_child:.0f} | a session's "
          f"start to its first | {to_own:.0f} | {to_child / to_own:.2f} |")
    names = ["turns per second", "worker CPU per turn, ms", "worker memory per session, KB"]
    for name, with_agents, alone in zip(names, split, plain, strict=True):
        print(f"| {name}: {sessions} x (1 + 3 subagents) | {with_agents:.1f} | {sessions} plain "
              f"sessions | {alone:.1f} | {with_agents / alone:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sessions, arguments.repeat))

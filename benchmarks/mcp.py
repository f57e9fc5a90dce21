"""An MCP tool call through tenure against the same call made directly with the mcp SDK,
and the time to reconnect after the server is killed.

Runs a dev server the way `tenure dev` does, then measures with mcp-server-time (stdio):
1. a direct `call_tool("get_current_time")` on an open mcp SDK client (median), back to
   back and spaced one session turn apart;
2. a no-op activity's round trip in a bare workflow (scheduled → completed in history);
3. tenure's `tool_call` activity for `mcp__time__get_current_time` in a session
   (scheduled → completed in history): the goal is under 1.5 x (1) + (2);
4. the first call after the stdio server was killed (it starts again), next to a call
   on an open connection; and the same after an HTTP server restart (server-everything,
   if `npm ci` ran in tests/mcp_servers).

    python benchmarks/mcp.py [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

# This file's name is the SDK's: import the SDK, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from mcp import Client as McpClient  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from temporalio import activity, workflow  # noqa: E402
from temporalio.api.history.v1 import HistoryEvent  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from mcp_support import EVERYTHING, everything_http, server_pids  # noqa: E402

from tenure import AgentClient, SessionConfig  # noqa: E402
from tenure.devserver import start_dev_server, free_port  # noqa: E402
from tenure.mcp import McpHub, McpTool  # noqa: E402
from tenure.models import McpServerSpec, ToolRequest, WorkerPolicy  # noqa: E402
from tenure.workers import build_worker, connect  # noqa: E402

TIME = str(Path(sys.executable).parent / "mcp-server-time")
NOW = {"timezone": "UTC"}


@activity.defn
async def noop() -> None:
    return None


@workflow.defn(sandboxed=False)
class NoopCalls:
    @workflow.run
    async def run(self, calls: int) -> None:
        for _ in range(calls):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=10))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def direct(calls: int, gap: float = 0.0) -> float:
    """A direct call's median time, with `gap` seconds between calls: a server that sat
    idle for a turn answers more slowly than one called back to back (it and its pipes
    have to wake up), so the fair comparison spaces the calls as a session does."""
    async with McpClient(StdioServerParameters(command=TIME), cache=None) as client:
        await client.call_tool("get_current_time", NOW)
        times = []
        for _ in range(calls):
            await asyncio.sleep(gap)
            started = time.perf_counter()
            await client.call_tool("get_current_time", NOW)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def activity_times(client: Client, workflow_id: str, name: str) -> list[float]:
    """Scheduled → completed of each `name` activity in the workflow's history."""
    scheduled: dict[int, float] = {}
    times = []
    event: HistoryEvent
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        at = event.event_time.ToDatetime().timestamp()
        if event.HasField("activity_task_scheduled_event_attributes"):
            if event.activity_task_scheduled_event_attributes.activity_type.name == name:
                scheduled[event.event_id] = at
        elif event.HasField("activity_task_completed_event_attributes"):
            began = scheduled.get(event.activity_task_completed_event_attributes.scheduled_event_id)
            if began is not None:
                times.append(at - began)
    return times


async def bare_round_trip(client: Client, queue: str, calls: int) -> float:
    workflow_id = f"noop-{uuid.uuid4().hex}"
    await client.execute_workflow(NoopCalls.run, calls, id=workflow_id, task_queue=queue)
    return statistics.median((await activity_times(client, workflow_id, "noop"))[1:])


async def through_tenure(
    agents: AgentClient, client: Client, directory: Path, calls: int,
    tool: str = "mcp__time__get_current_time", tool_input: dict[str, str] = NOW,
) -> tuple[float, float]:
    """tool_call of the tool (median), and the whole session's time per turn."""
    use = {"type": "tool_use", "id": "t", "name": tool, "input": tool_input}
    script = directory / "script.json"
    script.write_text(json.dumps([[use]] * calls + [[{"type": "text", "text": "done"}]]))
    config = SessionConfig(model=f"scripted:{script}", prompt="go", mode="autonomous",
                           workspace=str(directory), max_turns=calls + 1)
    started = time.perf_counter()
    handle = await agents.start(config)
    await handle.result()
    per_turn = (time.perf_counter() - started) / calls
    times = await activity_times(client, handle.id, "tool_call")
    return statistics.median(times[1:]), per_turn


def request(name: str) -> ToolRequest:
    return ToolRequest(session_id="bench", tool_name=name, tool_use_id=uuid.uuid4().hex,
                       input=NOW if "time" in name else {"message": "hi"}, workspace="/tmp")


async def timed_call(hub: McpHub, name: str) -> float:
    started = time.perf_counter()
    tool = await hub.call(request(name))
    assert isinstance(tool, McpTool), tool
    result = await hub.run(tool, request(name))
    assert not result.is_error, result.content
    return time.perf_counter() - started


async def reconnect_stdio(rounds: int) -> tuple[float, float]:
    hub = McpHub({"time": McpServerSpec(command=TIME)}, WorkerPolicy())
    try:
        await hub.prepare("bench", {}, "/tmp")
        open_, after_kill = [], []
        for _ in range(rounds):
            open_.append(await timed_call(hub, "mcp__time__get_current_time"))
            for pid in server_pids(TIME):
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.3)  # the process is gone before the next call
            after_kill.append(await timed_call(hub, "mcp__time__get_current_time"))
        return statistics.median(open_), statistics.median(after_kill)
    finally:
        await hub.aclose()


async def reconnect_http(rounds: int) -> tuple[float, float] | None:
    if not EVERYTHING.exists():
        return None
    port = free_port()
    hub = McpHub({}, WorkerPolicy())
    own = {"web": McpServerSpec(type="http", url=f"http://127.0.0.1:{port}/mcp")}
    open_, dropped = [], []
    try:
        for i in range(rounds):
            async with everything_http(port):
                if i == 0:
                    await hub.prepare("bench", own, "/tmp")
                else:
                    dropped.append(await timed_call(hub, "mcp__web__echo"))
                open_.append(await timed_call(hub, "mcp__web__echo"))
        async with everything_http(port):
            dropped.append(await timed_call(hub, "mcp__web__echo"))
        return statistics.median(open_), statistics.median(dropped)
    finally:
        await hub.aclose()


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
        try:
            client = await connect(server.address)
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            tenure_worker = build_worker(client, task_queue=queue,
                                         mcp_servers={"time": McpServerSpec(command=TIME)})
            bare = Worker(client, task_queue=f"{queue}-bare", workflows=[NoopCalls],
                          activities=[noop])
            async with tenure_worker, bare:
                agents = AgentClient(client, task_queue=queue)
                await through_tenure(agents, client, directory, 2)  # warm up
                sdk = await direct(calls)
                trip = await bare_round_trip(client, f"{queue}-bare", calls)
                tool_call, per_turn = await through_tenure(agents, client, directory, calls)
                spaced = await direct(calls, gap=per_turn)
                (directory / "a.txt").write_text("a")
                builtin, _ = await through_tenure(
                    agents, client, directory, calls, "Glob", {"pattern": "*.txt"}
                )
        finally:
            server.stop()
    print(f"\nAn MCP tool call (mcp-server-time get_current_time, stdio), median of {calls}\n")
    print("| path | ms |")
    print("|---|---:|")
    print(f"| direct: mcp SDK call_tool on an open client, back to back | {ms(sdk)} |")
    print(f"| direct: the same, one call per {ms(per_turn)} ms (a session's turn) | {ms(spaced)} |")
    print(f"| a no-op activity's round trip (bare workflow) | {ms(trip)} |")
    print(f"| goal: 1.5 x direct (spaced) + one activity round trip | {ms(1.5 * spaced + trip)} |")
    print(f"| tenure: tool_call activity, scheduled → completed | {ms(tool_call)} |")
    print(f"| tenure: tool_call activity of a built-in tool (Glob), for comparison | {ms(builtin)} |")
    print(f"| tenure: a whole turn (model call + MCP tool call) | {ms(per_turn)} |")

    rounds = 5
    stdio_open, stdio_back = await reconnect_stdio(rounds)
    http = await reconnect_http(rounds)
    print(f"\nReconnecting, median of {rounds}\n")
    print("| server | call on an open connection, ms | first call after the loss, ms |")
    print("|---|---:|---:|")
    print(f"| stdio, process killed (mcp-server-time) | {ms(stdio_open)} | {ms(stdio_back)} |")
    if http:
        print(f"| HTTP, server restarted (server-everything) | {ms(http[0])} | {ms(http[1])} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.calls))

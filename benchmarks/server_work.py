"""What the Temporal server does for each session started, next to the engine's floor.

light.py finds that starting sessions is CPU-bound and that the dev server spends most
of it. This script counts what it spends it on: the dev server's own metrics (its
requests to its services and to its database), read before and after `sessions` sessions
of each kind were started with their first turn (as in light.py), and the history of
each session. Each kind runs alone, then the script waits for the server's deferred work
(a workflow task's timeout timer fires 10 s after it was scheduled) before it reads the
counters again.

    python benchmarks/server_work.py [--sessions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import urllib.request
from collections import Counter

from light import Kind, idle_sessions, start_kinds

from tenure.devserver import free_port, start_dev_server
from tenure.workers import connect

SETTLE_SECONDS = 15
METRIC = re.compile(r"^(\w+)\{(.*)\} (\S+)$")
LABEL = re.compile(r'(\w+)="([^"]*)"')

ROWS: list[tuple[str, list[str]]] = [
    ("workflow tasks", ["service_requests/RecordWorkflowTaskStarted/history"]),
    ("activity tasks in all", ["service_requests/RespondActivityTaskCompleted/history"]),
    # A task queue has several partitions: a task may be added to one, then forwarded.
    ("activity tasks added to matching (not eager), forwards included",
     ["service_requests/AddActivityTask/matching"]),
    ("visibility writes",
     ["visibility_persistence_requests/UpsertWorkflowExecution/history",
      "visibility_persistence_requests/RecordWorkflowExecutionStarted/history"]),
    ("workflow state writes", ["persistence_requests/UpdateWorkflowExecution/history",
                               "persistence_requests/CreateWorkflowExecution/history"]),
    ("status queries (the benchmark polling for the turn's end)",
     ["service_requests/QueryWorkflow/frontend"]),
]


def read_metrics(port: int) -> Counter[str]:
    """Request counters by `metric/operation/service`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        text = response.read().decode()
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if (found := METRIC.match(line)) and found.group(1).endswith("requests"):
            labels = dict(LABEL.findall(found.group(2)))
            key = f"{found.group(1)}/{labels.get('operation')}/{labels.get('service_name')}"
            counts[key] += int(float(found.group(3)))
    return counts


async def server_work(kind: Kind, sessions: int, server_pid: int, port: int) -> dict[str, float]:
    """Per session started: each row's count, database requests, and history events."""
    await asyncio.sleep(SETTLE_SECONDS)
    before = read_metrics(port)
    started = await idle_sessions([kind], sessions, server_pid)
    await asyncio.sleep(SETTLE_SECONDS)
    done = read_metrics(port) - before
    row = {name: sum(done[key] for key in keys) / sessions for name, keys in ROWS}
    row["database requests in all"] = sum(
        n for key, n in done.items() if "persistence_requests/" in key) / sessions
    row["server CPU ms"] = started[kind.name][3]
    events = [len((await handle.fetch_history()).events) for handle in kind.started[-10:]]
    row["history events"] = sum(events) / len(events)
    return row


async def main(sessions: int) -> None:
    port = free_port()
    server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True, metrics_port=port)
    workers: list[asyncio.subprocess.Process] = []
    try:
        client = await connect(server.address)
        kinds = await start_kinds(client, server.address, "work", workers)
        for kind in kinds:  # the first sessions of a worker cost more (imports, caches)
            await idle_sessions([kind], 20, server.process.pid)
        rows = {kind.name: await server_work(kind, sessions, server.process.pid, port)
                for kind in kinds}
    finally:
        for process in workers:
            process.kill()
        server.stop()
    print(f"| per session started ({sessions} sessions, each with its first turn) "
          "| floor | tenure | difference |\n|---|---:|---:|---:|")
    for name, floor in rows["floor"].items():
        tenure = rows["tenure"][name]
        print(f"| {name} | {floor:.1f} | {tenure:.1f} | {tenure - floor:+.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    asyncio.run(main(parser.parse_args().sessions))

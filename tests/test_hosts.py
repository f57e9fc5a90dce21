"""Sessions keep their tools on the worker process that prepared them (their host), so a
background job is reachable with several workers on one task queue; a host that is gone
hands the session to another worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import ScriptWriter, text, tool_use, wait_for
from processes import alive, dies, kill, start_worker, wait_for_file
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer
from tenure.models import ToolResultBlock
from tenure.models.events import ErrorReported

Workers = tuple[str, list[asyncio.subprocess.Process]]


async def tool_queues(handle: SessionHandle) -> list[str]:
    """The task queue of every tool_call the session scheduled, in order."""
    queues = []
    async for event in handle.workflow.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == "tool_call":
                queues.append(scheduled.task_queue.name)
    return queues


async def tool_results(handle: SessionHandle) -> list[ToolResultBlock]:
    messages = (await handle.transcript()).messages
    return [b for m in messages for b in m.content if isinstance(b, ToolResultBlock)]


async def test_background_jobs_stay_reachable_with_several_workers(
    temporal_client: Client, dev_server: DevServer, worker_processes: Workers,
    script: ScriptWriter, workspace: Path, tmp_path: Path,
) -> None:
    queue, processes = worker_processes
    for _ in range(2):
        processes.append(await start_worker(dev_server, queue, tmp_path / "workers.log"))
    job = "echo $$ > job.pid; for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.2; done; sleep 60"
    reads = 6
    model = script([
        [tool_use("Bash", {"command": job, "run_in_background": True})],
        *[[tool_use("BashOutput", {"bash_id": "bash_1"})] for _ in range(reads)],
        [text("Watched it.")],
    ])
    handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
        model=model, prompt="watch a job", workspace=str(workspace),
        tools=["Bash", "BashOutput"], permission_mode="bypassPermissions",
    ))
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == reads + 2, timeout=60)
    pid = int(await wait_for_file(workspace / "job.pid"))

    results = await tool_results(handle)
    assert [r.is_error for r in results] == [False] * (reads + 1), [r.content for r in results]
    queues = await tool_queues(handle)
    assert len(set(queues)) == 1 and queues[0].startswith(f"{queue}@")
    await handle.end()
    await handle.result()
    assert await dies(pid, within=5), "the session's job outlived it"


async def test_a_session_whose_host_is_gone_moves_to_another_worker(
    temporal_client: Client, dev_server: DevServer, worker_processes: Workers,
    script: ScriptWriter, workspace: Path, tmp_path: Path,
) -> None:
    queue, processes = worker_processes
    for _ in range(2):
        processes.append(await start_worker(dev_server, queue, tmp_path / "workers.log"))
    model = script([
        [tool_use("Write", {"file_path": "one.txt", "content": "1"})], [text("One.")],
        [tool_use("Write", {"file_path": "two.txt", "content": "2"})], [text("Two.")],
    ])
    handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
        model=model, prompt="write one", workspace=str(workspace),
        permission_mode="acceptEdits",
    ))
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2, timeout=60)
    (host,) = await tool_queues(handle)
    host_pid = int(host.split(":")[-2])
    await kill(next(p for p in processes if p.pid == host_pid))

    await handle.send("write two")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4, timeout=60)
    assert (workspace / "two.txt").read_text() == "2"
    assert [r.is_error for r in await tool_results(handle)] == [False, False]
    # The call waited on the dead host, was never taken, and ran on the other worker.
    first, waited, moved_to = await tool_queues(handle)
    assert first == waited == host
    assert moved_to != host and moved_to.startswith(f"{queue}@")
    await handle.end()
    events = [item.event async for item in handle.events(deltas=False)]
    (moved,) = [e for e in events if isinstance(e, ErrorReported)]
    assert host in moved.message and moved_to in moved.message


async def test_a_background_job_dies_with_its_worker(
    dev_server: DevServer, temporal_client: Client, worker_processes: Workers,
    script: ScriptWriter, workspace: Path, tmp_path: Path,
) -> None:
    """Killed outright, the worker cannot end the job; its reaper does."""
    queue, processes = worker_processes
    processes.append(await start_worker(dev_server, queue, tmp_path / "worker.log"))
    handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
        model=script([[tool_use("Bash", {"command": "echo $$ > job.pid; sleep 60",
                                         "run_in_background": True})], [text("Started.")]]),
        prompt="start it", workspace=str(workspace), permission_mode="bypassPermissions",
    ))
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2, timeout=30)
    pid = int(await wait_for_file(workspace / "job.pid"))
    assert alive(pid)
    await kill(processes[-1])
    assert await dies(pid, within=5), "the job outlived its worker"
    await handle.workflow.terminate()


async def test_calls_side_by_side_that_find_the_host_gone_move_the_session_once(
    temporal_client: Client, dev_server: DevServer, worker_processes: Workers,
    script: ScriptWriter, workspace: Path, tmp_path: Path,
) -> None:
    queue, processes = worker_processes
    for _ in range(2):
        processes.append(await start_worker(dev_server, queue, tmp_path / "workers.log"))
    (workspace / "a.txt").write_text("a\n")
    reads = [tool_use("Read", {"file_path": "a.txt"}) for _ in range(3)]
    model = script([[tool_use("Glob", {"pattern": "*"})], [text("One.")], reads, [text("Read.")]])
    handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
        model=model, prompt="look", workspace=str(workspace), tools=["Read", "Glob"]))
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2, timeout=60)
    (host,) = await tool_queues(handle)
    await kill(next(p for p in processes if p.pid == int(host.split(":")[-2])))
    await handle.send("read it three times")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4, timeout=60)
    results = await tool_results(handle)
    assert [r.is_error for r in results] == [False] * 4, [r.content for r in results]
    queues = await tool_queues(handle)
    assert queues[:4] == [host] * 4  # the three reads waited on the dead host together
    moved_to = set(queues[4:])
    assert len(queues) == 7 and len(moved_to) == 1 and host not in moved_to
    await handle.end()
    events = [item.event async for item in handle.events(deltas=False)]
    assert len([e for e in events if isinstance(e, ErrorReported)]) == 1  # moved once

"""Kill the worker process mid-session, start a new one, and check nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from processes import dies, kill, start_worker, wait_for_file
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer
from tenure.models import SessionStatus


async def status_when(
    handle: SessionHandle, predicate: Callable[[SessionStatus], bool]
) -> SessionStatus:
    return await wait_for(handle, predicate, timeout=60)


async def test_worker_killed_while_waiting_and_while_running_a_tool(
    temporal_client: Client,
    dev_server: DevServer,
    worker_processes: tuple[str, list[asyncio.subprocess.Process]],
    script: ScriptWriter,
    workspace: Path,
    tmp_path: Path,
) -> None:
    queue, processes = worker_processes
    log = tmp_path / "workers.log"
    (workspace / "plan.txt").write_text("step one\n")
    model = script([
        [text("Let me look."), tool_use("Read", {"file_path": "plan.txt"})],
        [tool_use("Write", {"file_path": "a.txt", "content": "A"})],
        [tool_use("Bash", {"command": "echo $$ > bash.pid; sleep 30; echo never > late.txt"})],
        [text("Finished despite the crashes.")],
    ])
    client = AgentClient(temporal_client, task_queue=queue)
    processes.append(await start_worker(dev_server, queue, log))
    handle = await client.start(SessionConfig(
        model=model, prompt="do the plan", mode="autonomous", workspace=str(workspace),
        permissions={"allow": ["Bash(echo:*)"]},
    ))
    # Crash 1: while the session waits for a person to approve the Write.
    status = await status_when(handle, state_is("waiting_for_permission"))
    request_id = status.pending_permissions[0].request_id
    await kill(processes[-1])
    processes.append(await start_worker(dev_server, queue, log))
    await handle.approve(request_id)
    # Crash 2: in the middle of a long Bash command (the allow rule covers `echo ...; sleep`
    # only partly, so approve it too).
    status = await status_when(handle, state_is("waiting_for_permission"))
    await handle.approve(status.pending_permissions[0].request_id)
    await status_when(handle, lambda s: s.state.kind == "executing_tool" and s.state.tool_name == "Bash")
    bash_pid = int(await wait_for_file(workspace / "bash.pid"))
    await kill(processes[-1])
    assert await dies(bash_pid, within=15), "the command outlived its worker"
    processes.append(await start_worker(dev_server, queue, log))

    outcome = await asyncio.wait_for(handle.result(), timeout=90)
    assert outcome.stop_reason == "end_turn"
    assert outcome.text == "Finished despite the crashes."
    assert (workspace / "a.txt").read_text() == "A"
    assert not (workspace / "late.txt").exists()  # the Bash call was not run a second time
    messages = (await handle.transcript()).messages
    assert [m.role for m in messages] == ["user", "assistant"] * 4
    assert messages[0].text == "do the plan"
    assert messages[1].text == "Let me look."
    read_result = messages[2].content[0]
    assert read_result.type == "tool_result" and "step one" in read_result.content
    write_result = messages[4].content[0]
    assert write_result.type == "tool_result" and not write_result.is_error
    unknown = messages[6].content[0]
    assert unknown.type == "tool_result" and unknown.is_error
    assert "outcome of this Bash call is unknown" in unknown.content

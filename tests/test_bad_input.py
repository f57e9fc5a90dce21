"""The bad-input suite: well over 150 inputs that do not fit (workflow inputs, signals
through the SDK and the `temporal` CLI, queries, tool calls). Each gets a clear error,
none fails a workflow task, and the session works normally afterwards."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from bad_inputs import (
    BAD_CONFIGS,
    BAD_QUERIES,
    BAD_SIGNALS,
    BAD_TOOL_INPUTS,
    CLI_BAD_CONFIGS,
    CLI_BAD_SIGNALS,
)
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from temporalio.api.enums.v1 import EventType
from temporalio.common import RawValue
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.devserver import DevServer, temporal_binary
from tenure.models import ToolResultBlock
from tenure.models.events import ErrorReported, PermissionRequested


async def task_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The workflow task failures in a run's history (a wedged session has them)."""
    failures = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failures.append(event.workflow_task_failed_event_attributes.failure.message)
    return failures


async def temporal_cli(server: DevServer, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        temporal_binary(), *args, "--address", server.address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def signal_rejections(session: SessionHandle) -> list[str]:
    """The messages of the `error` events of rejected signals, from the session's stream."""
    offset = await session.stream_offset()
    found = []
    async for item in session.events(deltas=False):
        if isinstance(item.event, ErrorReported) and item.event.source == "signal":
            found.append(item.event.message)
        if item.next_offset >= offset:
            break
    return found


async def start_raw(temporal_client: Client, task_queue: str, args: list[Any]) -> WorkflowHandle[Any, Any]:
    return await temporal_client.start_workflow(
        "AgentSession", args=args, id=f"bad-{uuid.uuid4().hex[:10]}", task_queue=task_queue
    )


async def failure_of(handle: WorkflowHandle[Any, Any]) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), 20)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


async def test_a_config_that_does_not_validate_fails_the_workflow_at_once(
    temporal_client: Client, task_queue: str
) -> None:
    handles = await asyncio.gather(
        *(start_raw(temporal_client, task_queue, args) for _, args, _ in BAD_CONFIGS)
    )
    failures = await asyncio.gather(*(failure_of(h) for h in handles))
    for (what, _, word), failure, handle in zip(BAD_CONFIGS, failures, handles, strict=True):
        assert failure.type == "InvalidSessionConfig", what
        assert failure.message.startswith("Invalid SessionConfig: "), what
        assert word in failure.message, (what, failure.message)
        assert len(failure.message) < 2000, what
        assert await task_failures(handle) == [], what


async def test_a_bad_config_through_the_temporal_cli_fails_with_its_problems(
    dev_server: DevServer, temporal_client: Client, task_queue: str
) -> None:
    for what, inputs, word in CLI_BAD_CONFIGS:
        workflow_id = f"bad-cli-{uuid.uuid4().hex[:8]}"
        flags = [flag for value in inputs for flag in ("--input", value)]
        code, out = await temporal_cli(
            dev_server, "workflow", "start", "--type", "AgentSession", "--task-queue",
            task_queue, "--workflow-id", workflow_id, *flags,
        )
        assert code == 0, out
        failure = await failure_of(temporal_client.get_workflow_handle(workflow_id))
        assert failure.type == "InvalidSessionConfig", what
        assert word in failure.message, (what, failure.message)
        code, out = await temporal_cli(dev_server, "workflow", "describe", "--workflow-id", workflow_id)
        assert "Failed" in out or "FAILED" in out, (what, out)
        assert "Invalid SessionConfig" in out, (what, out)


async def test_bad_signals_change_nothing_and_the_session_goes_on(
    script: ScriptWriter, start_session: StartSession, dev_server: DevServer
) -> None:
    session = await start_session(script([[text("first")], [text("second")]]), prompt="hi")
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 1)
    for _, name, args in BAD_SIGNALS:
        await session.workflow.signal(name, args=args)
    for _, name, extra in CLI_BAD_SIGNALS:
        code, out = await temporal_cli(
            dev_server, "workflow", "signal", "--workflow-id", session.id, "--name", name, *extra
        )
        assert code == 0, out
    expected = len(BAD_SIGNALS) + len(CLI_BAD_SIGNALS) - 1  # an interrupt with an argument counts
    await wait_for(session, lambda s: len(s.rejected_signals) == 20)
    rejections = await signal_rejections(session)
    deadline = asyncio.get_running_loop().time() + 20
    while len(rejections) < expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
        rejections = await signal_rejections(session)
    assert len(rejections) == expected, "\n".join(rejections)
    assert all(len(r) < 450 for r in rejections)
    assert await task_failures(session.workflow) == []

    status = await session.status()
    assert status.state.kind == "idle" and status.turn == 1
    assert status.pending_permissions == [] and status.pending_questions == []
    assert all(len(r.reason) <= 300 for r in status.rejected_signals)
    assert (await session.transcript()).total == 2
    async for item in session.events(deltas=False):  # nothing forged reached the stream
        assert not isinstance(item.event, PermissionRequested)
        if item.next_offset >= await session.stream_offset():
            break

    await session.send("and now?")
    await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 2)
    assert (await session.transcript()).messages[-1].text == "second"
    await session.workflow.signal("end_session", {"unexpected": "argument"})
    outcome = await session.result()
    assert outcome.stop_reason == "ended" and outcome.turns == 2


async def test_signals_that_do_not_decode_are_reported(
    script: ScriptWriter, start_session: StartSession
) -> None:
    session = await start_session(script([[text("ok")]]))
    await wait_for(session, state_is("idle"))
    undecodable = [s for s in BAD_SIGNALS if "JSON" in s[0] or "encoding" in s[0]]
    for _, name, args in undecodable:
        await session.workflow.signal(name, args=args)
    status = await wait_for(session, lambda s: len(s.rejected_signals) == len(undecodable))
    for (what, name, _), rejected in zip(undecodable, status.rejected_signals, strict=True):
        assert rejected.signal == name, what
        assert "does not decode" in rejected.reason or "bad payload" in rejected.reason, (
            what, rejected.reason)


async def test_huge_signals_keep_status_small(
    script: ScriptWriter, start_session: StartSession, tmp_path: Path
) -> None:
    session = await start_session(script([[text("ok")]]))
    await wait_for(session, state_is("idle"))
    huge = "x" * 1_000_000
    for _ in range(3):
        await session.workflow.signal(
            "permission_response", {"request_id": huge, "decision": "allow"}
        )
        await session.workflow.signal("user_answer", {"request_id": huge, "answers": {}})
    await session.workflow.signal("__temporal_workflow_stream_publish",
                                  {"items": [{"topic": "events", "data": huge}]})
    status = await wait_for(session, lambda s: len(s.rejected_signals) == 7)
    assert len(status.model_dump_json()) < 10_000
    await session.send("still there?")
    await wait_for(session, lambda s: s.turn == 1 and s.state.kind == "idle")


async def test_status_lists_are_empty_lists_on_the_wire(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """What any client receives is `[]`. (The `temporal` CLI 1.9.1 prints every empty
    JSON array as `null`, for any workflow's query result: that is its display.)"""
    session = await start_session(script([[text("ok")]]))
    await wait_for(session, state_is("idle"))
    raw_status = await session.workflow.query("status", result_type=RawValue)
    status = json.loads(raw_status.payload.data)
    for field in ("pending_permissions", "pending_questions", "todos", "presented_files",
                  "rejected_signals"):
        assert status[field] == [], (field, status)


async def test_bad_queries_fail_as_queries_only(
    script: ScriptWriter, start_session: StartSession
) -> None:
    session = await start_session(script([[text("ok")]]), prompt="hi")
    await wait_for(session, state_is("idle"))
    for what, name, args in BAD_QUERIES:
        with pytest.raises((WorkflowQueryFailedError, RPCError)):
            await session.workflow.query(name, args=args)
    assert await task_failures(session.workflow) == []
    assert (await session.transcript()).total == 2
    assert (await session.workflow.query("status", {"extra": 1}))["turn"] == 1  # ignored


async def test_bad_tool_inputs_are_errors_the_model_sees(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("a line\n")
    calls = [tool_use(tool, tool_input) for _, tool, tool_input, _ in BAD_TOOL_INPUTS]
    session = await start_session(
        script([calls, [text("survived")]]),
        prompt="misbehave",
        mode="autonomous",
        permission_mode="bypassPermissions",
        tools=["Read", "Write", "Edit", "Bash", "Glob", "Grep", "TodoWrite", "AskUserQuestion"],
    )
    outcome = await asyncio.wait_for(session.result(), 60)
    assert outcome.stop_reason == "end_turn" and outcome.text == "survived"
    results = (await session.transcript()).messages[2].content
    assert len(results) == len(BAD_TOOL_INPUTS)
    for (what, _, _, word), result in zip(BAD_TOOL_INPUTS, results, strict=True):
        assert isinstance(result, ToolResultBlock)
        assert result.is_error, (what, result.content)
        assert word.lower() in str(result.content).lower(), (what, result.content)
    assert not (workspace / "b.txt").exists()
    assert (workspace / "a.txt").read_text() == "a line\n"


def test_the_suite_holds_at_least_150_bad_inputs() -> None:
    total = (len(BAD_CONFIGS) + len(CLI_BAD_CONFIGS) + len(BAD_SIGNALS) + len(CLI_BAD_SIGNALS)
             + len(BAD_QUERIES) + len(BAD_TOOL_INPUTS))
    assert total >= 150, total


async def test_invalid_input_is_refused_before_a_person_is_asked(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    session = await start_session(
        script([
            [tool_use("Bash", {"command": ["rm", "-rf", "/"]}), tool_use("Write", {"file_path": "x"})],
            [text("gave up")],
        ]),
        prompt="go",
        mode="autonomous",
    )
    outcome = await asyncio.wait_for(session.result(), 30)  # nobody is there to approve
    assert outcome.text == "gave up"
    bash, write = (await session.transcript()).messages[2].content
    assert isinstance(bash, ToolResultBlock) and isinstance(write, ToolResultBlock)
    assert bash.is_error and "Invalid input for Bash: command" in bash.content
    assert write.is_error and "Invalid input for Write: content" in write.content
    async for item in session.events(deltas=False):
        assert not isinstance(item.event, PermissionRequested)


async def test_a_session_started_elsewhere_keeps_its_title_and_a_failure_shows_as_one(
    dev_server: DevServer, temporal_client: Client, task_queue: str, agent_client: AgentClient,
    script: ScriptWriter,
) -> None:
    workflow_id = f"cli-title-{uuid.uuid4().hex[:8]}"
    config = {"model": script([[text("hello")]]), "title": "Started from the CLI",
              "prompt": "say hello", "mode": "autonomous"}
    code, out = await temporal_cli(
        dev_server, "workflow", "start", "--type", "AgentSession", "--task-queue", task_queue,
        "--workflow-id", workflow_id, "--input", json.dumps(config),
    )
    assert code == 0, out
    session = agent_client.get(workflow_id)
    assert (await session.result()).text == "hello"
    assert (await session.status()).title == "Started from the CLI"
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        listed = [s for s in await agent_client.list() if s.id == workflow_id]
        if listed and listed[0].title == "Started from the CLI":
            break
        assert asyncio.get_running_loop().time() < deadline, listed
        await asyncio.sleep(0.3)

    # A session that ends in error is a failed workflow (red in the web UI), and its
    # outcome still reaches SessionHandle.result().
    failing = await agent_client.start(SessionConfig(
        model="scripted:/no/such/script.json", prompt="hi", mode="autonomous"))
    outcome = await asyncio.wait_for(failing.result(), 30)
    assert outcome.stop_reason == "error" and outcome.error
    description = await failing.workflow.describe()
    assert description.status == WorkflowExecutionStatus.FAILED
    failure = await failure_of(failing.workflow)
    assert failure.type == "SessionError" and failure.message == outcome.error

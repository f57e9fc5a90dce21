"""Steering, interrupts, ending, limits and signals that do not fit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from processes import alive, wait_for_file

from tenure import UnknownRequestError
from tenure.devserver import DevServer, temporal_binary


async def temporal_cli(*args: str) -> str:
    """Run the real `temporal` CLI without blocking the event loop the worker runs on."""
    process = await asyncio.create_subprocess_exec(
        temporal_binary(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()




async def test_interactive_session_waits_for_the_next_message(
    script: ScriptWriter, start_session: StartSession
) -> None:
    handle = await start_session(script([[text("first")], [text("second")]]), prompt="hi")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 1)
    await handle.send("again")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    await handle.end()
    outcome = await handle.result()
    assert outcome.stop_reason == "ended"
    assert outcome.text == "second"
    roles = [(m.role, m.text) for m in (await handle.transcript()).messages]
    assert roles == [("user", "hi"), ("assistant", "first"), ("user", "again"), ("assistant", "second")]


async def test_message_mid_turn_steers_after_the_tool_batch(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([
        [tool_use("Bash", {"command": "sleep 1; echo slept"})],
        [text("steered")],
    ])
    handle = await start_session(
        model, prompt="sleep", mode="autonomous", permission_mode="bypassPermissions"
    )
    await wait_for(handle, state_is("executing_tool"))
    await handle.send("also say hello")
    outcome = await handle.result()
    assert outcome.text == "steered"
    messages = (await handle.transcript()).messages
    assert len(messages) == 4
    tool_result, steering = messages[2].content
    assert tool_result.type == "tool_result" and "slept" in tool_result.content
    assert steering.type == "text" and steering.text == "also say hello"


async def test_interrupt_kills_a_long_bash_and_goes_idle(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([
        [tool_use("Bash", {"command": "echo $$ > pid; echo started; sleep 60"})],
        [text("after")],
    ])
    handle = await start_session(model, prompt="wait", permission_mode="bypassPermissions")
    status = await wait_for(handle, state_is("executing_tool"))
    assert status.state.tool_name == "Bash"
    pid = int(await wait_for_file(workspace / "pid"))
    assert alive(pid)
    await handle.interrupt()
    await wait_for(handle, state_is("idle"), timeout=15)
    assert not alive(pid)
    messages = (await handle.transcript()).messages
    result = messages[2].content[0]
    assert result.type == "tool_result" and result.is_error and "Interrupted" in result.content
    # The session goes on with the next message.
    await handle.send("continue")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    assert (await handle.transcript()).messages[-1].text == "after"
    await handle.end()


async def test_interrupt_cancels_a_slow_model_call(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([{"content": [text("too late")], "delay_ms": 60000}])
    handle = await start_session(model, prompt="think long")
    await wait_for(handle, state_is("processing"))
    await asyncio.sleep(0.3)
    await handle.interrupt()
    status = await wait_for(handle, state_is("idle"), timeout=15)
    assert status.turn == 1
    messages = (await handle.transcript()).messages
    assert [m.role for m in messages] == ["user"]
    await handle.end()
    assert (await handle.result()).stop_reason == "ended"


async def test_end_session_while_waiting_for_permission(
    script: ScriptWriter, start_session: StartSession
) -> None:
    handle = await start_session(script([[tool_use("Bash", {"command": "ls"})]]), prompt="ls")
    await wait_for(handle, state_is("waiting_for_permission"))
    await handle.end()
    outcome = await handle.result()
    assert outcome.stop_reason == "ended"
    status = await handle.status()
    assert status.state.kind == "done" and status.pending_permissions == []


async def test_max_turns_stops_a_runaway_loop(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[tool_use("Glob", {"pattern": "*"})]] * 10)
    handle = await start_session(model, prompt="loop", mode="autonomous", max_turns=3)
    outcome = await handle.result()
    assert outcome.stop_reason == "max_turns"
    assert outcome.turns == 3


async def test_bad_signals_change_nothing(
    script: ScriptWriter, start_session: StartSession, workspace: Path, dev_server: DevServer
) -> None:
    handle = await start_session(
        script([[tool_use("Write", {"file_path": "f.txt", "content": "x"})], [text("ok")]]),
        prompt="write",
    )
    status = await wait_for(handle, state_is("waiting_for_permission"))
    request_id = status.pending_permissions[0].request_id
    with pytest.raises(UnknownRequestError, match="no pending permission request"):
        await handle.approve("nope")
    await handle.workflow.signal("permission_response", {"request_id": "nope", "decision": "allow"})
    await handle.workflow.signal("permission_response", {"request_id": request_id, "decision": "maybe"})
    await handle.workflow.signal("user_message", {"txt": "typo"})
    await handle.workflow.signal("user_answer", {"request_id": "q1", "answers": {}})
    await handle.workflow.signal("no_such_signal", {"x": 1})
    status = await wait_for(handle, lambda s: len(s.rejected_signals) == 5)
    assert [r.signal for r in status.rejected_signals] == [
        "permission_response", "permission_response", "user_message", "user_answer", "no_such_signal"
    ]
    assert "nope" in status.rejected_signals[0].reason
    assert status.state.kind == "waiting_for_permission"
    assert [p.request_id for p in status.pending_permissions] == [request_id]
    assert not (workspace / "f.txt").exists()
    assert len((await handle.transcript()).messages) == 2
    # The session still works: approve through the temporal CLI with a JSON payload.
    payload = json.dumps({"request_id": request_id, "decision": "allow", "decided_by": "cli"})
    await temporal_cli(
        "workflow", "signal", "--address", dev_server.address,
        "--workflow-id", handle.id, "--name", "permission_response", "--input", payload,
    )
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    assert (workspace / "f.txt").read_text() == "x"
    await handle.end()


async def test_status_and_transcript_through_the_temporal_cli(
    script: ScriptWriter, start_session: StartSession, dev_server: DevServer
) -> None:
    handle = await start_session(script([[text("hello there")]]), prompt="hi", title="CLI check")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 1)

    async def query(name: str, *extra: str) -> Any:
        out = await temporal_cli(
            "workflow", "query", "--address", dev_server.address,
            "--workflow-id", handle.id, "--type", name, "-o", "json", *extra,
        )
        return json.loads(out)["queryResult"][0]

    status = await query("status")
    assert status["state"] == {"kind": "idle", "tool_name": None, "tool_use_id": None,
                               "session_id": None, "request_id": None, "message": None}
    assert status["title"] == "CLI check" and status["turn"] == 1
    page = await query("transcript", "--input", '{"offset": 1, "limit": 5}')
    assert page["total"] == 2
    assert page["messages"] == [{"role": "assistant", "content": [{"type": "text", "text": "hello there"}]}]
    await handle.end()


async def test_unknown_config_fields_are_refused() -> None:
    from pydantic import ValidationError

    from tenure import SessionConfig

    with pytest.raises(ValidationError, match="extra"):
        SessionConfig.model_validate({"model": "x", "tols": ["Read"]})


async def test_session_with_a_missing_workspace_fails_clearly(
    script: ScriptWriter, start_session: StartSession, tmp_path: Path
) -> None:
    handle = await start_session(
        script([[text("x")]]), prompt="go", mode="autonomous", workspace=str(tmp_path / "nope")
    )
    outcome = await handle.result()
    assert outcome.stop_reason == "error"
    assert outcome.error and "not a directory" in outcome.error
    assert (await handle.status()).state.kind == "error"


async def test_unknown_tool_call_is_an_error_result(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[tool_use("Teleport", {"to": "mars"})], [text("sorry")]])
    handle = await start_session(model, prompt="go", mode="autonomous")
    assert (await handle.result()).text == "sorry"
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and result.is_error and "Teleport" in result.content


async def test_malformed_tool_input_is_an_error_result(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[tool_use("Read", {"path": "wrong-key"})], [text("retry")]])
    handle = await start_session(model, prompt="go", mode="autonomous")
    assert (await handle.result()).text == "retry"
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and result.is_error
    assert "Invalid input for Read" in result.content and "file_path" in result.content


async def test_model_failure_in_an_interactive_session_is_an_error_state(
    script: ScriptWriter, start_session: StartSession
) -> None:
    handle = await start_session(script([[text("only turn")]]), prompt="one")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 1)
    await handle.send("two")
    status = await wait_for(handle, state_is("error"))
    assert status.error and "has 1 turns" in status.error
    assert status.state.message == status.error
    await handle.end()
    assert (await handle.result()).stop_reason == "ended"


async def test_a_message_sent_right_after_the_start_comes_after_the_prompt(
    script: ScriptWriter, start_session: StartSession
) -> None:
    """A message can reach the session before its first workflow task has taken in the
    prompt; it still goes after the prompt."""
    handle = await start_session(script([[text("both read")], [text("spare")]]), prompt="first")
    await handle.send("second")
    for _ in range(200):
        status = await handle.status()
        messages = (await handle.transcript()).messages
        said = [b.text for m in messages if m.role == "user" for b in m.content if b.type == "text"]
        if status.state.kind == "idle" and "second" in said:
            break
        await asyncio.sleep(0.05)
    assert said == ["first", "second"]  # in one message or two, but in this order
    if len(messages[0].content) == 2:  # it came before the first task: the gated change
        markers = [e.marker_recorded_event_attributes
                   async for e in handle.workflow.fetch_history_events()
                   if e.HasField("marker_recorded_event_attributes")]
        assert any(b"prompt-before-early-messages" in m.details["patch-data"].payloads[0].data
                   for m in markers)
    await handle.end()

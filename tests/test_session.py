"""The turn loop end to end: real dev server, real worker, scripted model, real tools."""

from __future__ import annotations

from pathlib import Path

from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for


async def test_multi_turn_autonomous_session_with_tools(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    model = script([
        [text("Reading."), tool_use("Read", {"file_path": "notes.txt"})],
        [tool_use("Write", {"file_path": "out.txt", "content": "done"})],
        [text("All done.")],
    ])
    handle = await start_session(
        model, prompt="copy notes", mode="autonomous", permission_mode="acceptEdits"
    )
    outcome = await handle.result()
    assert outcome.stop_reason == "end_turn"
    assert outcome.text == "All done."
    assert outcome.turns == 3
    assert (workspace / "out.txt").read_text() == "done"
    page = await handle.transcript()
    assert [m.role for m in page.messages] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    read_result = page.messages[2].content[0]
    assert read_result.type == "tool_result" and "alpha" in read_result.content
    status = await handle.status()
    assert status.state.kind == "done"
    assert status.usage.output_tokens == 30


async def test_ask_then_approve_runs_the_tool(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([
        [tool_use("Bash", {"command": "echo hi > made.txt"})],
        [text("made it")],
    ])
    handle = await start_session(model, prompt="make a file", mode="autonomous")
    status = await wait_for(handle, state_is("waiting_for_permission"))
    [pending] = status.pending_permissions
    assert pending.tool_name == "Bash"
    assert pending.input == {"command": "echo hi > made.txt"}
    assert "approval" in pending.reason
    assert not (workspace / "made.txt").exists()
    await handle.approve(pending.request_id, decided_by="tester")
    outcome = await handle.result()
    assert outcome.text == "made it"
    assert (workspace / "made.txt").read_text() == "hi\n"


async def test_ask_then_deny_tells_the_model(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([
        [tool_use("Write", {"file_path": "x.txt", "content": "x"})],
        [text("ok, not writing")],
    ])
    handle = await start_session(model, prompt="write", mode="autonomous")
    status = await wait_for(handle, state_is("waiting_for_permission"))
    await handle.deny(status.pending_permissions[0].request_id, reason="not today")
    outcome = await handle.result()
    assert outcome.text == "ok, not writing"
    assert not (workspace / "x.txt").exists()
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and result.is_error
    assert "denied" in result.content and "not today" in result.content


async def test_session_scope_approval_is_remembered(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([
        [tool_use("Bash", {"command": "echo 1 >> log.txt"})],
        [tool_use("Bash", {"command": "echo 1 >> log.txt"})],
        [tool_use("Bash", {"command": "echo 2 >> log.txt"})],
        [text("done")],
    ])
    handle = await start_session(model, prompt="go", mode="autonomous")
    status = await wait_for(handle, state_is("waiting_for_permission"))
    await handle.approve(status.pending_permissions[0].request_id, scope="session")
    # The same command runs again without asking; a different one asks.
    status = await wait_for(handle, state_is("waiting_for_permission", "done"))
    assert status.state.kind == "waiting_for_permission"
    assert status.pending_permissions[0].input["command"] == "echo 2 >> log.txt"
    assert status.turn == 3
    await handle.approve(status.pending_permissions[0].request_id)
    await handle.result()
    assert (workspace / "log.txt").read_text() == "1\n1\n2\n"


async def test_plan_mode_is_read_only(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("content")
    model = script([
        [tool_use("Read", {"file_path": "a.txt"}), tool_use("Bash", {"command": "touch b.txt"})],
        [text("planned")],
    ])
    handle = await start_session(model, prompt="plan", mode="autonomous", permission_mode="plan")
    await handle.result()
    read_result, bash_result = (await handle.transcript()).messages[2].content
    assert read_result.type == "tool_result" and not read_result.is_error
    assert bash_result.type == "tool_result" and bash_result.is_error
    assert "Plan mode" in bash_result.content
    assert not (workspace / "b.txt").exists()


async def test_deny_rule_beats_bypass_mode(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "rm -rf data"})], [text("blocked")]])
    (workspace / "data").mkdir()
    handle = await start_session(
        model, prompt="clean", mode="autonomous", permission_mode="bypassPermissions",
        permissions={"deny": ["Bash(rm:*)"]},
    )
    await handle.result()
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and result.is_error and "Bash(rm:*)" in result.content
    assert (workspace / "data").is_dir()


async def test_allow_rule_skips_the_question(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "echo ok"})], [text("fine")]])
    handle = await start_session(
        model, prompt="go", mode="autonomous", permissions={"allow": ["Bash(echo:*)"]}
    )
    outcome = await handle.result()
    assert outcome.text == "fine"
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and "ok" in result.content


async def test_web_ui_summaries_and_details(
    script: ScriptWriter, start_session: StartSession
) -> None:
    from temporalio.api.enums.v1 import EventType
    from temporalio.converter import default as default_converter

    model = script([[tool_use("Bash", {"command": "ls -la\necho more"})], [text("listed")]])
    handle = await start_session(model, prompt="list files", title="Nightly listing",
                                 permission_mode="bypassPermissions")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    description = await handle.workflow.describe()
    assert await description.static_summary() == "Nightly listing"
    summaries = []
    async for event in handle.workflow.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            summaries.append(
                default_converter().payload_converter.from_payload(event.user_metadata.summary, str)
            )
    label = model.removeprefix("anthropic:")
    assert summaries == ["prepare session", f"{label} · turn 1", "Bash · ls -la", f"{label} · turn 2"]
    metadata = await handle.workflow.query("__temporal_workflow_metadata")
    assert metadata.current_details == "**Nightly listing**\n\nidle · turn 2"
    await handle.end()

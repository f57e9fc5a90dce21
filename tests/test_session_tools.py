"""TodoWrite, AskUserQuestion and PresentFile through real sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from processes import alive, dies, wait_for_file

from tenure import UnknownRequestError

SESSION_TOOLS = ["Read", "TodoWrite", "AskUserQuestion", "PresentFile"]
QUESTION = {
    "question": "Which database should I use?",
    "header": "Database",
    "options": [
        {"label": "PostgreSQL", "description": "Relational"},
        {"label": "SQLite", "description": "A file"},
    ],
    "multiSelect": False,
}


async def test_todo_write_shows_in_status(script: ScriptWriter, start_session: StartSession) -> None:
    todos = [
        {"content": "Run tests", "status": "completed", "activeForm": "Running tests"},
        {"content": "Fix bug", "status": "in_progress", "activeForm": "Fixing bug"},
    ]
    model = script([
        [tool_use("TodoWrite", {"todos": todos})],
        [tool_use("TodoWrite", {"todos": [{"content": "x", "status": "doing"}]})],
        [text("planned")],
    ])
    handle = await start_session(model, prompt="plan", tools=SESSION_TOOLS, permission_mode="plan")
    status = await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 3)
    assert [t.model_dump() for t in status.todos] == todos  # the bad update changed nothing
    messages = (await handle.transcript()).messages
    ok, bad = messages[2].content[0], messages[4].content[0]
    assert ok.type == "tool_result" and not ok.is_error
    assert bad.type == "tool_result" and bad.is_error
    assert "todos.0.status" in bad.content and "todos.0.activeForm" in bad.content
    await handle.end()


async def test_ask_user_question_waits_for_the_answer(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[tool_use("AskUserQuestion", {"questions": [QUESTION]})], [text("SQLite it is")]])
    handle = await start_session(model, prompt="set up storage", tools=SESSION_TOOLS,
                                 mode="autonomous")
    status = await wait_for(handle, state_is("waiting_for_user_input"))
    [pending] = status.pending_questions
    assert status.state.request_id == pending.request_id
    assert pending.questions[0].header == "Database"
    with pytest.raises(UnknownRequestError):
        await handle.answer("bogus", {"Which database should I use?": "SQLite"})
    # "Other": a free-text answer is as good as a label.
    await handle.answer(pending.request_id, {"Which database should I use?": "SQLite, in memory"})
    outcome = await handle.result()
    assert outcome.text == "SQLite it is"
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and not result.is_error
    assert '"Which database should I use?" = "SQLite, in memory"' in result.content


async def test_ask_user_question_rejects_bad_input(
    script: ScriptWriter, start_session: StartSession
) -> None:
    too_long = {**QUESTION, "header": "Far too long a header", "options": QUESTION["options"][:1]}
    model = script([[tool_use("AskUserQuestion", {"questions": [too_long]})], [text("ok")]])
    handle = await start_session(model, prompt="ask", tools=SESSION_TOOLS, mode="autonomous")
    await handle.result()
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and result.is_error
    assert "header" in result.content and "options" in result.content


async def test_interrupt_while_a_question_is_pending(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[tool_use("AskUserQuestion", {"questions": [QUESTION]})]])
    handle = await start_session(model, prompt="ask", tools=SESSION_TOOLS)
    await wait_for(handle, state_is("waiting_for_user_input"))
    await handle.interrupt()
    status = await wait_for(handle, state_is("idle"))
    assert status.pending_questions == []
    await handle.end()


async def test_present_file(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "report.md").write_text("# Report")
    model = script([
        [tool_use("PresentFile", {"file_path": "report.md", "description": "The report"}),
         tool_use("PresentFile", {"file_path": "missing.md"}),
         tool_use("PresentFile", {"file_path": "/etc/passwd"})],
        [text("here you go")],
    ])
    handle = await start_session(model, prompt="report", tools=SESSION_TOOLS, mode="autonomous")
    await handle.result()
    status = await handle.status()
    assert [f.model_dump() for f in status.presented_files] == [
        {"file_path": str(workspace / "report.md"), "file_name": None, "description": "The report"}
    ]
    ok, missing, outside = (await handle.transcript()).messages[2].content
    assert ok.type == "tool_result" and not ok.is_error
    assert missing.type == "tool_result" and missing.is_error and "no such file" in missing.content
    assert outside.type == "tool_result" and outside.is_error and "outside" in outside.content


async def test_background_jobs_die_with_the_session(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    model = script([
        [tool_use("Bash", {"command": "echo $$ > job.pid; exec sleep 60", "run_in_background": True})],
        [text("started")],
    ])
    handle = await start_session(model, prompt="start a job", permission_mode="bypassPermissions",
                                 tools=["Bash", "BashOutput", "KillShell"])
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    result = (await handle.transcript()).messages[2].content[0]
    assert result.type == "tool_result" and "bash_" in result.content
    pid = int(await wait_for_file(workspace / "job.pid"))
    assert alive(pid)
    await handle.end()
    await handle.result()
    assert await dies(pid, within=5)

"""Small things a person meets at the terminal: readable TodoWrite and AskUserQuestion
lines, clear refusals from `send` and `approve` on a finished session, and a session list
that scripts can read (whole ids, newest first)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, StartSession, text

from tenure.devserver import DevServer
from tenure.models import ToolUseBlock


@pytest.fixture
def env(dev_server: DevServer, task_queue: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(dev_server, task_queue, tmp_path)


def test_todos_and_questions_read_as_sentences() -> None:
    todos = ToolUseBlock(id="t", name="TodoWrite", input={"todos": [
        {"content": "paint", "status": "completed", "activeForm": "painting"},
        {"content": "dry", "status": "in_progress", "activeForm": "waiting to dry"},
        {"content": "hang", "status": "pending", "activeForm": "hanging"},
    ]})
    assert todos.summary() == "TodoWrite · 3 todos, 1 done · waiting to dry"
    ask = ToolUseBlock(id="q", name="AskUserQuestion", input={"questions": [
        {"question": "Which colour?", "header": "C", "options": [], "multiSelect": False},
        {"question": "Which room?", "header": "R", "options": [], "multiSelect": False},
    ]})
    assert ask.summary() == "AskUserQuestion · Which colour? (+1 more)"


async def test_send_and_approve_to_a_finished_session_say_so(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    session = await start_session(script([[text("bye")]]), prompt="hi", mode="autonomous")
    await session.result()
    sent = await tenure(env, "send", session.id, "are you there?")
    assert sent.code == 1 and "Sent" not in sent.stdout
    assert "has already finished" in sent.stderr or "has ended" in sent.stderr, sent
    approved = await tenure(env, "approve", session.id, "some-request")
    assert approved.code == 1
    assert "pending: none" not in approved.stderr
    assert "has already finished" in approved.stderr or "has ended" in approved.stderr, approved


async def test_sessions_piped_are_whole_and_newest_first(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[text("x")]])
    older = await start_session(model, title="older " + "o" * 120)
    await asyncio.sleep(1.1)
    newer = await start_session(model, title="newer")
    listed = await tenure(env, "sessions", "--all")
    assert listed.code == 0, listed
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    ids = [row[0] for row in rows]
    assert ids.index(newer.id) < ids.index(older.id)
    [old_row] = [row for row in rows if row[0] == older.id]
    assert old_row[-1] == "older " + "o" * 120  # not cut to the terminal's width
    for session in (older, newer):
        await session.end()

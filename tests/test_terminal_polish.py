"""Small things a person meets at the terminal: readable TodoWrite and AskUserQuestion
calls, clear refusals from `send`, `approve` and `answer` on a session that cannot take
them, and a session list that scripts can read (whole ids, newest first)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, build_worker
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


async def test_a_finished_session_says_so_even_with_no_worker_to_replay_it(
    env: dict[str, str], script: ScriptWriter, temporal_client: Client, workspace: Path
) -> None:
    """Whether a session has ended comes from the server: no worker has to replay the
    session to tell (before, each command waited 10 s for one, then blamed the workers)."""
    queue = f"gone-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, task_queue=queue):
        handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=script([[text("bye")]]), prompt="hi", mode="autonomous",
            workspace=str(workspace)))
        await handle.result()
    for command in (["send", handle.id, "are you there?"], ["approve", handle.id, "req"],
                    ["answer", handle.id, "req", "1"]):
        result = await tenure(env, *command, timeout=8)
        assert result.code == 1, result
        assert "Sent" not in result.stdout and "pending: none" not in result.stderr
        assert (f"Session {handle.id} has already finished." in result.stderr
                or f"Session {handle.id} has ended" in result.stderr), result


async def test_approve_and_answer_say_what_a_running_session_is_doing(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    session = await start_session(script([[text("hello")]]), prompt="hi")
    await wait_for(session, state_is("idle"))
    approved = await tenure(env, "approve", session.id, "req")
    assert approved.code == 1
    assert approved.stderr.strip() == (
        f"Session {session.id} is not waiting for a permission decision (it is idle)")
    answered = await tenure(env, "answer", session.id, "req", "1")
    assert answered.code == 1
    assert answered.stderr.strip() == f"Session {session.id} is not waiting for an answer (it is idle)"
    await session.end()


async def test_show_reads_todos_as_a_checklist_and_questions_as_questions(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    todos = [{"content": "Paint", "status": "completed", "activeForm": "Painting"},
             {"content": "Hang", "status": "pending", "activeForm": "Hanging"}]
    question = {"question": "Which colour?", "header": "Colour",
                "options": [{"label": "red"}, {"label": "blue", "description": "calm"}]}
    session = await start_session(script([
        [tool_use("TodoWrite", {"todos": todos}),
         tool_use("AskUserQuestion", {"questions": [question]})],
        [text("Blue.")],
    ]), prompt="plan", tools=["TodoWrite", "AskUserQuestion"])
    await wait_for(session, state_is("waiting_for_user_input"))
    shown = await tenure(env, "show", session.id)
    assert shown.code == 0, shown
    assert ("  → TodoWrite · 2 todos, 1 done\n"
            "    ☒ Paint\n"
            "    ☐ Hang\n"
            "  → AskUserQuestion · Which colour?\n"
            "    ? [Colour] Which colour?\n"
            "      1. red\n"
            "      2. blue - calm\n") in shown.stdout, shown.stdout
    assert '"todos"' not in shown.stdout and '"questions"' not in shown.stdout
    await session.end()


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
    assert old_row[4] == "older " + "o" * 120  # not cut to the terminal's width
    for session in (older, newer):
        await session.end()


def test_results_of_calls_that_ran_side_by_side_say_which_call_they_answer() -> None:
    from rich.console import Console

    from tenure.models.events import ToolEnded, ToolStarted
    from tenure.terminal.view import SessionView

    view = SessionView(Console(width=100))
    at = "2026-12-03T00:00:00Z"

    def started(use_id: str, path: str) -> ToolStarted:
        return ToolStarted(turn=1, at=at, tool_use_id=use_id, tool_name="Read",
                           input={"file_path": path}, summary=f"Read · {path}")

    def ended(use_id: str, preview: str) -> ToolEnded:
        return ToolEnded(turn=1, at=at, tool_use_id=use_id, tool_name="Read",
                         is_error=False, preview=preview)

    def shown(event: ToolStarted | ToolEnded) -> list[str]:
        return [str(line) for line in view.show(event)]

    assert shown(started("a", "a.txt")) == ["● Read · a.txt"]
    assert shown(ended("a", "alpha")) == ["  ✓ alpha"]  # right after its own call
    shown(started("b", "b.txt"))
    shown(started("c", "c.txt"))
    assert shown(ended("c", "gamma")) == ["  ✓ gamma"]
    assert shown(ended("b", "beta")) == ["  ✓ Read · b.txt: beta"]

"""`tenure chat` in a real pseudo-terminal, against the test dev server and the fixture's
worker: what a person sees, and what typing and Ctrl-C do."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from pseudo_terminal import PseudoTerminal

from tenure import AgentClient
from tenure.devserver import DevServer
from tenure.models import TextBlock, ToolResultBlock

SESSION_ID = re.compile(r"session-[0-9a-f]{12}")

Chat = Callable[..., Awaitable[PseudoTerminal]]


@pytest.fixture
def env(dev_server: DevServer, task_queue: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(dev_server, task_queue, tmp_path)


@pytest.fixture
async def chat(env: dict[str, str]) -> AsyncIterator[Chat]:
    """Start `tenure chat ARGS...` in a pseudo-terminal, served by the fixture's worker
    (and by one of its own too with `own_worker=True`)."""
    terminals: list[PseudoTerminal] = []

    async def start(*args: str, own_worker: bool = False, **env_changes: str
                    ) -> PseudoTerminal:
        command = ["-m", "tenure.cli", "chat", *args, *([] if own_worker else ["--no-worker"])]
        terminal = await PseudoTerminal.start(command, {**env, **env_changes})
        terminals.append(terminal)
        return terminal

    yield start
    for terminal in terminals:
        await terminal.close()


def session_id(screen: str) -> str:
    found = SESSION_ID.search(screen)
    assert found, screen
    return found[0]


async def test_a_session_with_an_approval(
    chat: Chat, script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [text("Let me look."), tool_use("Bash", {"command": "echo chat-was-here"})],
        [text("Found **it** in `made.txt`:\n\n- one\n- two")],
    ])
    terminal = await chat("-m", "look around", "--model", model, "--workspace", str(workspace),
                          own_worker=True)
    screen = await terminal.shows(
        "> look around", "Let me look.", "● Bash · echo chat-was-here",
        "? Allow Bash? (Bash needs approval in default mode)",
        "[y] once, [a] for this session, [n] deny:",
    )
    terminal.type("y\r")
    screen = await terminal.shows("• two\n>")
    assert "[y] once, [a] for this session, [n] deny: y\n  allowed once · " in screen
    assert "  ✓ chat-was-here" in screen
    # The answer rendered as Markdown, then the prompt for the next message.
    assert "Found it in made.txt:\n\n • one\n • two\n>" in screen
    terminal.type("/end\r")
    assert await terminal.exits() == 0
    assert terminal.text.endswith("Ending the session…\nended · 2 turns · 20 in / 20 out tokens")


async def test_typing_while_the_agent_works_steers_it(
    chat: Chat, script: ScriptWriter, workspace: Path, agent_client: AgentClient
) -> None:
    model = script([
        {"content": [text("Checking."), tool_use("Bash", {"command": "echo checked"})],
         "delay_ms": 1500},
        [text("Noted: tabs.")],
    ])
    terminal = await chat("-m", "check it", "--model", model, "--workspace", str(workspace),
                          "--allow", "Bash(echo:*)")
    await terminal.shows("> check it", "processing · turn 1")
    terminal.type("use tabs\r")
    await terminal.shows("queued: use tabs")
    screen = await terminal.shows("> use tabs", "Noted: tabs.")
    assert "queued: use tabs" not in screen
    assert screen.index("✓ checked") < screen.index("> use tabs") < screen.index("Noted: tabs.")
    # The message steered the turn at work: it came with the tool's result.
    handle = agent_client.get(session_id(screen))
    steered = (await handle.transcript()).messages[2].content
    assert isinstance(steered[0], ToolResultBlock)
    assert steered[1] == TextBlock(text="use tabs")
    terminal.type("/exit\r")
    assert await terminal.exits() == 0, terminal.text
    assert f"Left session {handle.id}" in terminal.text
    assert (await handle.status()).state.kind == "idle"
    await handle.end()


async def test_ctrl_c_interrupts_then_leaves_and_chat_id_replays_what_was_missed(
    chat: Chat, script: ScriptWriter, workspace: Path, agent_client: AgentClient,
    tmp_path: Path,
) -> None:
    model = script([
        [text("Sleeping first."), tool_use("Bash", {"command": "sleep 30"})],
        [text("You missed **this**.")],
    ])
    terminal = await chat("-m", "nap", "--model", model, "--workspace", str(workspace),
                          "--allow", "Bash(sleep:*)")
    await terminal.shows("● Bash · sleep 30", "executing_tool · Bash")
    terminal.type("\x03")
    screen = await terminal.shows(
        "Interrupting the session (Ctrl-C again to leave)…",
        "✗ Interrupted by the user while the tool was running.", "(interrupted)",
    )
    handle = agent_client.get(session_id(screen))
    await wait_for(handle, state_is("idle"))
    terminal.type("\x03")
    assert await terminal.exits() == 0
    assert f"Left session {handle.id}: it goes on" in terminal.text

    # While nobody watches, the session goes on.
    await handle.send("what did I miss?")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)

    back = await chat(handle.id)
    screen = await back.shows("> what did I miss?", "You missed this.")
    assert f"{handle.id} · replaying from event " in screen
    assert "Sleeping first." not in screen  # seen before leaving
    back.type("/exit\r")
    assert await back.exits() == 0

    # With nothing saved (another user data directory), the whole stream is replayed.
    fresh = await chat(handle.id, XDG_DATA_HOME=str(tmp_path / "elsewhere"))
    screen = await fresh.shows("You missed this.")
    assert f"{handle.id} · replaying from the start" in screen
    assert screen.index("> nap") < screen.index("Sleeping first.") < screen.index("> what did")
    fresh.type("\x04")  # Ctrl-D leaves too
    assert await fresh.exits() == 0
    await handle.end()


async def test_a_request_left_waiting_is_asked_again_on_return(
    chat: Chat, script: ScriptWriter, workspace: Path, agent_client: AgentClient
) -> None:
    model = script([[tool_use("Bash", {"command": "echo later"})], [text("Ran it later.")]])
    terminal = await chat("-m", "run it", "--model", model, "--workspace", str(workspace))
    screen = await terminal.shows("[y] once, [a] for this session, [n] deny:")
    handle = agent_client.get(session_id(screen))
    terminal.type("/exit\r")  # commands work while a request is asked
    assert await terminal.exits() == 0
    assert (await handle.status()).state.kind == "waiting_for_permission"

    back = await chat(handle.id)
    await back.shows("? Allow Bash?", "[y] once, [a] for this session, [n] deny:")
    back.type("a\r")
    await back.shows("allowed for this session", "✓ later", "Ran it later.\n>")
    back.type("/end\r")
    assert await back.exits() == 0


async def test_the_agents_questions_are_asked_inline(
    chat: Chat, script: ScriptWriter, workspace: Path
) -> None:
    question = {"question": "Which color?", "header": "Color",
                "options": [{"label": "red"}, {"label": "blue", "description": "calm"}]}
    model = script([[tool_use("AskUserQuestion", {"questions": [question]})],
                    [text("Blue it is.")]])
    terminal = await chat("--model", model, "--workspace", str(workspace))
    await terminal.shows(">")
    terminal.type("pick a colr\x7f\x7flor\r")  # Backspace edits the line
    await terminal.shows("> pick a color", "? [Color] Which color?", "  2. blue - calm",
                         "[Color] answer (number or your own words):")
    terminal.type("2\r")
    screen = await terminal.shows("Blue it is.\n>")
    assert "  Which color?: blue" in screen
    terminal.type("\x04")
    assert await terminal.exits() == 0


async def test_without_a_terminal_chat_leaves_once_the_agent_has_answered(
    env: dict[str, str], script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    model = script([[text("Answered, then left.")]])
    result = await tenure(env, "chat", "-m", "one question", "--model", model,
                          "--workspace", str(workspace), "--no-worker")
    assert result.code == 0, result
    output = result.stdout
    assert output.index("> one question") < output.index("Answered, then left.")
    id = session_id(output)
    assert f"Left session {id}" in output

    again = await tenure(env, "chat", id, "--no-worker")
    assert again.code == 0, again
    assert f"{id} · replaying from event" in again.stdout
    assert "Answered" not in again.stdout  # nothing was missed
    env["XDG_DATA_HOME"] = str(tmp_path / "elsewhere")
    replayed = await tenure(env, "chat", id, "--no-worker")
    assert "> one question" in replayed.stdout and "Answered, then left." in replayed.stdout
    await tenure(env, "end", id)


async def test_coming_back_to_an_idle_session_shows_its_state_and_end_is_quick(
    chat: Chat, script: ScriptWriter, workspace: Path
) -> None:
    """A `tenure chat` that left (its in-process worker, the session's host, gone with
    it): coming back shows the session's real state at once, and /end does not wait for
    the dead host."""
    model = script([[text("First answer.")]])
    first = await chat("-m", "hello", "--model", model, "--workspace", str(workspace),
                       own_worker=True)
    await first.shows("First answer.")
    first.type("/exit\r")
    assert await first.exits() == 0
    again = await chat(session_id(first.text))
    screen = await again.shows("replaying")
    assert "starting" not in screen
    again.type("/end\r")
    started = asyncio.get_running_loop().time()
    assert await again.exits(timeout=30) == 0
    assert asyncio.get_running_loop().time() - started < 8  # the host wait was 10 s


async def test_the_spinner_turns_and_counts_seconds(
    chat: Chat, script: ScriptWriter, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "sleep 4"})], [text("Slept.")]])
    terminal = await chat("-m", "sleep", "--model", model, "--workspace", str(workspace),
                          "--yes")
    await terminal.shows("executing_tool · Bash · turn 1")
    frames = set()
    for _ in range(8):
        line = next(row for row in terminal.text.splitlines() if "executing_tool" in row)
        frames.add(line.strip()[0])
        await asyncio.sleep(0.2)
    assert len(frames) > 1, frames  # the same spinner, turning
    screen = await terminal.shows("s", timeout=5)
    assert re.search(r"executing_tool · Bash · turn 1 · .* · [1-9]\d*s", screen), screen
    await terminal.shows("Slept.")


async def test_a_first_message_from_a_closed_stdin_gets_its_answer(
    env: dict[str, str], script: ScriptWriter, workspace: Path
) -> None:
    for _ in range(3):
        model = script([[text("The answer.")]])
        result = await tenure(env, "chat", "-m", "start", "--model", model, "--workspace",
                              str(workspace), "--no-worker")
        assert result.code == 0, result
        assert "The answer." in result.stdout, result.stdout


async def test_todos_read_as_a_checklist(
    chat: Chat, script: ScriptWriter, workspace: Path
) -> None:
    todos = [{"content": "Paint the wall", "status": "completed", "activeForm": "Painting"},
             {"content": "Let it dry", "status": "in_progress", "activeForm": "Drying"},
             {"content": "Hang the picture", "status": "pending", "activeForm": "Hanging"}]
    model = script([[tool_use("TodoWrite", {"todos": todos})], [text("Planned.")]])
    terminal = await chat("-m", "plan it", "--model", model, "--workspace", str(workspace))
    screen = await terminal.shows("Planned.\n>")
    assert ("● TodoWrite · 3 todos, 1 done · Drying\n"
            "  ☒ Paint the wall\n  ◼ Let it dry\n  ☐ Hang the picture\n") in screen
    assert '"todos"' not in screen and "activeForm" not in screen
    terminal.type("/end\r")
    assert await terminal.exits() == 0

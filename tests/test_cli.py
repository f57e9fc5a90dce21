"""The `tenure` command, run as a subprocess against the real dev server.

The CLI runs in a subprocess so that it never blocks this event loop, which hosts the
fixture's worker.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from commands import cli_env, tenure
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer, free_port, is_listening

SESSION_ID = re.compile(r"session-[0-9a-f]{12}")


@pytest.fixture
def env(dev_server: DevServer, task_queue: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(dev_server, task_queue, tmp_path)


# ---- tenure run ------------------------------------------------------------------------


async def test_run_with_yes_runs_bash_and_prints_the_outcome(
    env: dict[str, str], script: ScriptWriter, workspace: Path
) -> None:
    model = script([
        [text("Listing."), tool_use("Bash", {"command": "echo hello-from-bash > made.txt; cat made.txt"})],
        [text("All done.")],
    ])
    result = await tenure(
        env, "run", "make a file", "--model", model, "--workspace", str(workspace), "--yes"
    )
    assert result.code == 0, result
    assert "Traceback" not in result.stderr
    assert "● Bash · echo hello-from-bash > made.txt; cat made.txt" in result.stdout
    assert "✓ hello-from-bash" in result.stdout
    assert "  allowed once · " in result.stdout and "(tenure --yes)" in result.stdout
    lines = result.stdout.rstrip().splitlines()
    assert lines[-1] == "end_turn · 2 turns · 20 in / 20 out tokens"
    assert lines.count("All done.") == 1  # shown once, as it came, not again at the end
    assert (workspace / "made.txt").read_text() == "hello-from-bash\n"


@pytest.mark.parametrize(("answer", "runs"), [("n", False), ("y", True), ("a", True)])
async def test_run_asks_on_the_terminal(
    env: dict[str, str], script: ScriptWriter, workspace: Path, answer: str, runs: bool
) -> None:
    model = script([[tool_use("Bash", {"command": "touch made.txt"})], [text("finished")]])
    result = await tenure(
        env, "run", "touch it", "--model", model, "--workspace", str(workspace),
        stdin=f"maybe\n{answer}\n",
    )
    assert result.code == 0, result
    assert "? Allow Bash? (Bash needs approval in default mode)" in result.stdout
    assert '  {"command": "touch made.txt"}' in result.stdout
    # The unclear answer is asked again.
    assert "[y] once, [a] for this session, [n] deny: maybe\n" in result.stdout
    assert f"[y] once, [a] for this session, [n] deny: {answer}\n" in result.stdout
    assert (workspace / "made.txt").exists() == runs
    assert ("✗ The user denied this Bash call" in result.stdout) == (not runs)
    assert "finished" in result.stdout


async def test_run_denies_when_stdin_is_closed(
    env: dict[str, str], script: ScriptWriter, workspace: Path
) -> None:
    model = script([[tool_use("Bash", {"command": "touch made.txt"})], [text("finished")]])
    result = await tenure(env, "run", "touch", "--model", model, "--workspace", str(workspace))
    assert result.code == 0, result
    assert "stdin is closed: denied" in result.stdout
    assert not (workspace / "made.txt").exists()


async def test_run_with_no_worker_uses_the_fixture_worker(
    env: dict[str, str], script: ScriptWriter, workspace: Path, temporal_client: Client
) -> None:
    model = script([[tool_use("Bash", {"command": "echo served"})], [text("served")]])
    result = await tenure(
        env, "run", "serve", "--model", model, "--workspace", str(workspace), "--no-worker",
        "--allow", "Bash(echo:*)", "--title", "no worker here",
    )
    assert result.code == 0, result
    assert "✓ served" in result.stdout
    [session_id] = set(SESSION_ID.findall(result.stdout))
    history = await temporal_client.get_workflow_handle(session_id).fetch_history()
    workers = {
        e.activity_task_started_event_attributes.identity
        for e in history.events if e.HasField("activity_task_started_event_attributes")
    }
    assert workers and all(w.startswith(f"{os.getpid()}@") for w in workers), workers


async def test_run_reports_an_error_outcome(
    env: dict[str, str], script: ScriptWriter, workspace: Path
) -> None:
    model = script([[text("only one turn")]]).replace(".json", "-missing.json")
    result = await tenure(env, "run", "x", "--model", model, "--workspace", str(workspace))
    assert result.code == 1, result
    assert "cannot read" in result.stderr
    assert "error · 1 turn · 0 in / 0 out tokens" in result.stdout


async def test_run_with_anthropic_model_needs_a_key(
    env: dict[str, str], dead_address: str, tmp_path: Path
) -> None:
    env.pop("ANTHROPIC_API_KEY", None)
    env["TEMPORAL_ADDRESS"] = dead_address
    env["XDG_DATA_HOME"] = str(tmp_path)
    result = await tenure(env, "run", "hello", "--model", "claude-sonnet-4-5")
    assert result.code == 2
    assert result.stderr.strip() == (
        "Set ANTHROPIC_API_KEY (or use --model scripted:PATH) to run with the Anthropic model "
        "claude-sonnet-4-5."
    )
    assert result.stdout == ""
    assert not (tmp_path / "tenure").exists()  # nothing was started


async def test_run_starts_an_embedded_server_when_none_listens(
    env: dict[str, str], script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    env["TEMPORAL_ADDRESS"] = address
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    model = script([[tool_use("Bash", {"command": "echo embedded"})], [text("ran embedded")]])
    result = await tenure(
        env, "run", "go", "--model", model, "--workspace", str(workspace), "--yes",
    )
    assert result.code == 0, result
    db = tmp_path / "data" / "tenure" / "temporal.db"
    assert f"Starting a Temporal dev server on {address} ({db})" in result.stdout
    assert "✓ embedded" in result.stdout
    assert "ran embedded" in result.stdout
    assert db.exists()
    assert not is_listening(address)
    assert not _processes_mentioning(str(db))


def _processes_mentioning(needle: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if needle.encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            pass
    return pids


# ---- tenure dev ------------------------------------------------------------------------


async def test_dev_serves_sessions_until_ctrl_c(
    env: dict[str, str], script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    port, ui_port = free_port(), free_port()
    queue = f"tenure-dev-{uuid.uuid4().hex[:8]}"
    env["TENURE_TASK_QUEUE"] = queue
    db = tmp_path / "dev" / "temporal.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", "dev", "--port", str(port),
        "--ui-port", str(ui_port), "--db", str(db), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        banner = ""
        while "Press Ctrl-C" not in banner:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, f"tenure dev exited: {banner}"
            banner += line.decode()
        address = re.search(r"Temporal\s+(\S+)", banner)
        assert address and address[1] == f"127.0.0.1:{port}", banner
        assert f"http://127.0.0.1:{ui_port}" in banner
        assert queue in banner and str(db) in banner
        agents = await AgentClient.connect(address[1], task_queue=queue)
        handle = await agents.start(SessionConfig(
            model=script([[text("served by tenure dev")]]), prompt="hi",
            workspace=str(workspace), mode="autonomous",
        ))
        outcome = await asyncio.wait_for(handle.result(), 30)
        assert outcome.text == "served by tenure dev"
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 30)
    assert not is_listening(f"127.0.0.1:{port}")
    assert db.exists()


async def test_dev_refuses_a_port_in_use(env: dict[str, str], dev_server: DevServer) -> None:
    port = dev_server.address.rpartition(":")[2]
    result = await tenure(env, "dev", "--port", port, "--ui-port", str(free_port()))
    assert result.code == 1
    assert result.stderr.strip() == (
        f"Something already listens on port {port} (is `tenure dev` already running?): "
        "pick another with --port."
    )


# ---- sessions, show, send, approve, interrupt, end ---------------------------------------


async def test_control_a_session_from_the_cli(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([
        [text("Checking."), tool_use("Bash", {"command": "echo approved-run"})],
        [text("first done")],
        [text("second reply")],
    ])
    handle = await start_session(model, prompt="please check", title="cli control")
    status = await wait_for(handle, state_is("waiting_for_permission"))
    [pending] = status.pending_permissions

    listed = await tenure(env, "sessions")
    assert listed.code == 0, listed
    [row] = [line for line in listed.stdout.splitlines() if handle.id in line]
    assert "running" in row and "waiting_for_permission" in row and "cli control" in row

    shown = await tenure(env, "show", handle.id)
    assert shown.code == 0, shown
    assert "please check" in shown.stdout
    assert "→ Bash · echo approved-run" in shown.stdout
    assert '"command": "echo approved-run"' in shown.stdout
    assert f"{handle.id} · waiting_for_permission · Bash · turn 1" in shown.stdout
    assert f"tenure approve {handle.id} {pending.request_id}" in shown.stdout

    bogus = await tenure(env, "approve", handle.id, "bogus")
    assert bogus.code == 1
    assert "has no pending permission request 'bogus'" in bogus.stderr
    assert "Traceback" not in bogus.stderr

    approved = await tenure(env, "approve", handle.id, pending.request_id)
    assert approved.code == 0, approved
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    shown = await tenure(env, "show", handle.id)
    assert "✓ approved-run" in shown.stdout and "first done" in shown.stdout

    sent = await tenure(env, "send", handle.id, "and again")
    assert sent.code == 0, sent
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 3)

    ended = await tenure(env, "end", handle.id)
    assert ended.code == 0, ended
    outcome = await handle.result()
    assert outcome.stop_reason == "ended" and outcome.text == "second reply"

    late = await tenure(env, "send", handle.id, "too late")
    assert late.code == 1
    assert late.stderr.strip() == f"Session {handle.id} has already finished."


async def listed_once_indexed(env: dict[str, str], state: str, session_id: str) -> str:
    """`tenure sessions --state STATE`, once it lists the session: the visibility index
    lags the session by a moment."""
    for _ in range(100):
        listed = await tenure(env, "sessions", "--state", state)
        assert listed.code == 0, listed
        if session_id in listed.stdout:
            return listed.stdout
        await asyncio.sleep(0.1)
    raise AssertionError(f"{session_id} never listed as {state}: {listed.stdout}")


async def test_sessions_by_state_show_what_the_waiting_ones_wait_for(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    asking = await start_session(
        script([[tool_use("Bash", {"command": "echo waiting-here"})], [text("done")]]),
        prompt="go", title="waits for you",
    )
    status = await wait_for(asking, state_is("waiting_for_permission"))
    [permission] = status.pending_permissions
    question = {"question": "Which color?", "header": "Color",
                "options": [{"label": "red"}, {"label": "blue"}]}
    wondering = await start_session(
        script([[tool_use("AskUserQuestion", {"questions": [question]})], [text("ok")]]),
        prompt="pick", tools=["AskUserQuestion"],
    )
    status = await wait_for(wondering, state_is("waiting_for_user_input"))
    [asked] = status.pending_questions

    lines = (await listed_once_indexed(env, "waiting_for_permission", asking.id)).splitlines()
    [row] = [i for i, line in enumerate(lines) if line.startswith(asking.id)]
    assert "waiting_for_permission" in lines[row] and "waits for you" in lines[row]
    assert lines[row + 1] == f"  {permission.request_id}  Bash · echo waiting-here"
    assert wondering.id not in "\n".join(lines)

    lines = (await listed_once_indexed(env, "waiting_for_user_input", wondering.id)).splitlines()
    [row] = [i for i, line in enumerate(lines) if line.startswith(wondering.id)]
    assert lines[row + 1] == f"  {asked.request_id}  ? Which color?"

    idle = await tenure(env, "sessions", "--state", "idle")
    assert idle.code == 0 and asking.id not in idle.stdout
    bogus = await tenure(env, "sessions", "--state", "bogus")
    assert bogus.code == 2 and "'bogus' is not one of 'idle'," in bogus.stderr
    await asking.end()
    await wondering.end()


async def test_deny_with_a_reason_and_interrupt(
    env: dict[str, str], script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([
        [tool_use("Bash", {"command": "rm -rf stuff"})],
        [tool_use("Bash", {"command": "sleep 60"})],
        [text("after")],
    ])
    handle = await start_session(model, prompt="go", permissions={"allow": ["Bash(sleep:*)"]})
    status = await wait_for(handle, state_is("waiting_for_permission"))
    request_id = status.pending_permissions[0].request_id

    wrong = await tenure(env, "approve", handle.id, request_id, "--reason", "why")
    assert wrong.code == 2 and "--reason goes with --deny" in wrong.stderr

    denied = await tenure(env, "approve", handle.id, request_id, "--deny", "--reason", "not here")
    assert denied.code == 0, denied
    await wait_for(handle, state_is("executing_tool"))
    interrupted = await tenure(env, "interrupt", handle.id)
    assert interrupted.code == 0, interrupted
    await wait_for(handle, state_is("idle"))
    messages = (await handle.transcript()).messages
    denial = messages[2].content[0]
    assert denial.type == "tool_result" and "not here" in denial.content
    await handle.end()


async def test_unknown_session(env: dict[str, str]) -> None:
    for args in (["show", "session-nope"], ["send", "session-nope", "hi"],
                 ["approve", "session-nope", "r1"], ["chat", "session-nope"]):
        result = await tenure(env, *args)
        assert result.code == 1, result
        assert result.stderr.startswith("There is no session session-nope in namespace default")
        assert "Traceback" not in result.stderr


@pytest.fixture
def dead_address() -> Iterator[str]:
    """An address where nothing listens, and nothing else can start listening meanwhile."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{bound.getsockname()[1]}"


@pytest.mark.parametrize(
    "args", [["sessions"], ["show", "s"], ["send", "s", "hi"], ["end", "s"], ["worker"]]
)
async def test_unreachable_server_is_one_sentence(
    env: dict[str, str], dead_address: str, args: list[str]
) -> None:
    address = env["TEMPORAL_ADDRESS"] = dead_address
    result = await tenure(env, *args)
    assert result.code == 1, result
    assert result.stderr.strip() == (
        f"Cannot reach Temporal at {address}: start one with `tenure dev` or set "
        "TEMPORAL_ADDRESS."
    )
    assert "Traceback" not in result.stderr


async def test_run_and_answer_handle_the_agents_questions(
    env: dict[str, str], script: ScriptWriter, workspace: Path, start_session: StartSession
) -> None:
    question = {"question": "Which color?", "header": "Color", "multiSelect": True,
                "options": [{"label": "red"}, {"label": "blue"}, {"label": "green"}]}
    free = {**question, "question": "Why?", "multiSelect": False}
    ask = [tool_use("AskUserQuestion", {"questions": [question, free]})]
    model = script([ask, [text("noted")]])
    result = await tenure(env, "run", "pick", "--model", model, "--workspace", str(workspace),
                          stdin="1,3\nbecause I like them\n")
    assert result.code == 0, result
    assert "? [Color] Which color?" in result.stdout and "  2. blue" in result.stdout
    assert "noted" in result.stdout
    # The same through `tenure show` and `tenure answer` on a session started elsewhere.
    handle = await start_session(script([ask, [text("thanks")]]), prompt="pick",
                                 tools=["AskUserQuestion"])
    status = await wait_for(handle, state_is("waiting_for_user_input"))
    request_id = status.pending_questions[0].request_id
    shown = await tenure(env, "show", handle.id)
    assert f"tenure answer {handle.id} {request_id}" in shown.stdout
    wrong = await tenure(env, "answer", handle.id, request_id, "2")
    assert wrong.code == 2 and "2 questions need 2 answers" in wrong.stderr
    answered = await tenure(env, "answer", handle.id, request_id, "2", "no reason")
    assert answered.code == 0, answered
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 2)
    tool_result = (await handle.transcript()).messages[2].content[0]
    assert tool_result.type == "tool_result"
    assert '"Which color?" = "blue"' in tool_result.content
    assert '"Why?" = "no reason"' in tool_result.content
    await handle.end()

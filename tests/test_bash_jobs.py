"""Background Bash jobs, BashOutput and KillShell, against real processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from processes import alive, dies, wait_for_file
from pydantic import ValidationError

from tenure.tools import Tool, ToolContext, ToolError, bash, bash_jobs, input_schema
from tenure.tools.bash import BashTool
from tenure.tools.bash_jobs import background_jobs, kill_session_jobs
from tenure.tools.bash_output import BashOutputTool
from tenure.tools.kill_shell import KillShellTool


@pytest.fixture(autouse=True)
def short_kill_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Escalate to SIGKILL sooner (orphans' zombies can keep a process group alive)."""
    monkeypatch.setattr(bash, "KILL_GRACE_S", 0.2)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace.resolve()


@pytest.fixture
async def ctx(ws: Path) -> AsyncIterator[ToolContext]:
    context = ToolContext(workspace=ws, session_id=f"session-{uuid.uuid4().hex[:8]}")
    yield context
    await kill_session_jobs(context.session_id)


async def run(tool: Tool, ctx: ToolContext, **input: Any) -> str:
    return await tool.execute(tool.input_model.model_validate(input), ctx)


async def start(ctx: ToolContext, command: str) -> str:
    """Start a background job; returns its id."""
    out = await run(BashTool(), ctx, command=command, run_in_background=True)
    assert out.startswith("Started in the background as bash_")
    return out.split()[5]


async def read(ctx: ToolContext, job_id: str, **input: Any) -> str:
    return await run(BashOutputTool(), ctx, bash_id=job_id, **input)


async def read_until(ctx: ToolContext, job_id: str, text: str) -> str:
    """Read until a read shows text; returns that read."""
    for _ in range(500):
        out = await read(ctx, job_id)
        if text in out:
            return out
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} never appeared in {job_id}'s output")


async def exited(ctx: ToolContext, job_id: str) -> None:
    """Wait for the job's bash to exit, without reading its output."""
    await asyncio.wait_for(background_jobs.get(job_id, ctx.session_id).process.wait(), 5)








# --- the tools --------------------------------------------------------------------------------


def test_kinds_and_schemas() -> None:
    assert (BashOutputTool().kind, KillShellTool().kind) == ("read", "execute")
    cases: list[tuple[Tool, dict[str, Any]]] = [
        (BashOutputTool(), {"bash_id": "bash_1"}),
        (KillShellTool(), {"shell_id": "bash_1"}),
        (BashTool(), {"command": "true", "run_in_background": True}),
    ]
    for tool, minimal in cases:
        tool.input_model.model_validate(minimal)
        with pytest.raises(ValidationError, match="bogus"):
            tool.input_model.model_validate({**minimal, "bogus": 1})
        assert "title" not in input_schema(tool)
    assert bash.BashInput.model_validate({"command": "x"}).run_in_background is False


# --- starting and reading ---------------------------------------------------------------------


async def test_start_returns_at_once_with_unique_ids(ctx: ToolContext) -> None:
    began = time.monotonic()
    first = await start(ctx, "sleep 30")
    second = await start(ctx, "sleep 30")
    assert time.monotonic() - began < 2
    assert first.startswith("bash_") and second.startswith("bash_") and first != second
    assert (await read(ctx, first)).endswith(f"[{first}: running]")


async def test_incremental_reads_and_exit_status(ctx: ToolContext, ws: Path) -> None:
    job = await start(
        ctx, "echo one; while [ ! -f go ]; do sleep 0.01; done; echo two; echo oops >&2; exit 3"
    )
    assert await read_until(ctx, job, "one") == f"one\n[{job}: running]"
    assert await read(ctx, job) == f"(no new output)\n[{job}: running]"
    (ws / "go").touch()
    await exited(ctx, job)
    assert await read(ctx, job) == f"two\n[stderr]\noops\n[{job}: exited with code 3]"
    assert await read(ctx, job) == f"(no new output)\n[{job}: exited with code 3]"


async def test_runs_in_workspace_with_empty_stdin(ctx: ToolContext, ws: Path) -> None:
    job = await start(ctx, "pwd; cat")
    await exited(ctx, job)
    assert await read(ctx, job) == f"{ws}\n[{job}: exited with code 0]"


async def test_killed_by_a_signal(ctx: ToolContext) -> None:
    job = await start(ctx, "kill -9 $$")
    await exited(ctx, job)
    assert (await read(ctx, job)).endswith(f"[{job}: killed by signal SIGKILL]")


async def test_filter_keeps_matching_lines_and_consumes_the_rest(ctx: ToolContext) -> None:
    job = await start(ctx, "printf 'apple\\nbanana\\napricot\\n'; echo avocado >&2; echo ant >&2")
    await exited(ctx, job)
    out = await read(ctx, job, filter="^ap")
    assert out == f"apple\napricot\n[{job}: exited with code 0]"
    assert await read(ctx, job) == f"(no new output)\n[{job}: exited with code 0]"


async def test_filter_waits_for_the_end_of_an_unfinished_line(
    ctx: ToolContext, ws: Path
) -> None:
    job = await start(
        ctx,
        "printf 'apple\\nappl'; echo 1 > written; while [ ! -f go ]; do sleep 0.01; done; "
        "printf 'e pie\\n'",
    )
    await wait_for_file(ws / "written")
    await asyncio.sleep(0.1)  # let the reader take in what was written
    assert await read(ctx, job, filter="apple") == f"apple\n[{job}: running]"
    (ws / "go").touch()
    await exited(ctx, job)
    assert await read(ctx, job, filter="apple") == f"apple pie\n[{job}: exited with code 0]"


async def test_bad_filter(ctx: ToolContext) -> None:
    job = await start(ctx, "true")
    with pytest.raises(ToolError, match="Invalid filter regex"):
        await read(ctx, job, filter="(")


async def test_a_job_keeps_only_the_end_of_its_output(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bash_jobs, "MAX_KEPT_CHARS", 100)
    job = await start(ctx, "for i in $(seq 100 199); do printf $i; done")  # 300 characters
    await exited(ctx, job)
    out = await read(ctx, job)
    assert out == (
        "[200 characters of output were dropped before this read: a job keeps only its last "
        f"100; to keep everything, {bash.LONG_OUTPUT_HINT}]\n{''.join(str(i) for i in range(100, 200))[-100:]}\n[{job}: exited with code 0]"
    )


async def test_one_read_shows_the_last_30000_characters(ctx: ToolContext) -> None:
    job = await start(ctx, "head -c 40000 /dev/zero | tr '\\0' a; printf end")
    await exited(ctx, job)
    notice, rest = (await read(ctx, job)).split("\n", 1)
    assert notice == (
        "[10003 earlier characters of this read not shown; read more often, use filter, or "
        f"{bash.LONG_OUTPUT_HINT}]"
    )
    assert rest == "a" * 29997 + f"end\n[{job}: exited with code 0]"


# --- killing ----------------------------------------------------------------------------------


async def test_kill_shell_kills_the_process_group(ctx: ToolContext, ws: Path) -> None:
    job = await start(
        ctx, "echo $$ > shell; bash -c 'trap \"\" TERM; echo $$ > child; sleep 30' & "
        "echo started; wait"
    )
    shell = int(await wait_for_file(ws / "shell"))
    child = int(await wait_for_file(ws / "child"))  # ignores SIGTERM: needs the SIGKILL
    assert alive(shell) and alive(child)
    out = await run(KillShellTool(), ctx, shell_id=job)
    assert out.startswith(f"Killed {job} and every process it started")
    assert await dies(shell)
    assert await dies(child)
    assert await read(ctx, job) == f"started\n[{job}: killed]"
    with pytest.raises(ToolError, match=f"{job} is not running \\(killed\\)"):
        await run(KillShellTool(), ctx, shell_id=job)


async def test_kill_shell_on_a_finished_job(ctx: ToolContext) -> None:
    job = await start(ctx, "exit 0")
    await exited(ctx, job)
    with pytest.raises(ToolError, match="not running \\(exited with code 0\\)"):
        await run(KillShellTool(), ctx, shell_id=job)


async def test_kill_shell_kills_what_a_finished_job_left_behind(
    ctx: ToolContext, ws: Path
) -> None:
    job = await start(ctx, "sleep 30 > /dev/null 2>&1 & echo $! > child")
    child = int(await wait_for_file(ws / "child"))
    await exited(ctx, job)
    assert alive(child)
    await run(KillShellTool(), ctx, shell_id=job)
    assert await dies(child)


# --- ids that are not yours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "key"), [(BashOutputTool(), "bash_id"), (KillShellTool(), "shell_id")]
)
async def test_unknown_and_foreign_ids_are_refused(
    tool: Tool, key: str, ctx: ToolContext, ws: Path
) -> None:
    with pytest.raises(ToolError, match="No background job 'bash_999999' on this worker"):
        await run(tool, ctx, **{key: "bash_999999"})
    job = await start(ctx, "echo $$ > pid; sleep 30")
    pid = int(await wait_for_file(ws / "pid"))
    other = ToolContext(workspace=ws, session_id="another-session")
    with pytest.raises(ToolError, match=f"'{job}' belongs to another session"):
        await run(tool, other, **{key: job})
    assert alive(pid)
    assert (await read(ctx, job)).endswith(f"[{job}: running]")


# --- the end of a session ---------------------------------------------------------------------


async def test_kill_session_jobs(ctx: ToolContext, ws: Path) -> None:
    other = ToolContext(workspace=ws, session_id=f"other-{uuid.uuid4().hex[:8]}")
    mine = [await start(ctx, f"echo $$ > mine{i}; sleep 30") for i in range(2)]
    finished = await start(ctx, "true")
    theirs = await start(other, "echo $$ > theirs; sleep 30")
    pids = [int(await wait_for_file(ws / f"mine{i}")) for i in range(2)]
    their_pid = int(await wait_for_file(ws / "theirs"))
    await exited(ctx, finished)
    try:
        assert await kill_session_jobs(ctx.session_id) == 2
        for pid in pids:
            assert await dies(pid)
        for job in [*mine, finished]:
            with pytest.raises(ToolError, match="No background job"):
                await read(ctx, job)
        assert alive(their_pid)
        assert (await read(other, theirs)).endswith(f"[{theirs}: running]")
        assert await kill_session_jobs(ctx.session_id) == 0
    finally:
        assert await kill_session_jobs(other.session_id) == 1
    assert await dies(their_pid)


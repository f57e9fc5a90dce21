"""Every tool result stays far below Temporal's payload limits: Read, Grep, Glob, Bash,
BashOutput and WebFetch cut their output by bytes (with a note saying how to get the
rest) and stream rather than load everything first, and tool_call caps any tool's
result, a custom tool's included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from pathlib import Path

import pytest
from conftest import ScriptWriter, text, tool_use
from pydantic import BaseModel
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, ToolContext, tool
from tenure.models import ToolResultBlock
from tenure.tools.bash import LONG_OUTPUT_HINT, BashInput, BashTool
from tenure.tools.bash_jobs import background_jobs, kill_session_jobs
from tenure.tools.bash_output import BashOutputInput, BashOutputTool
from tenure.tools.glob import MAX_CANDIDATES, GlobInput, GlobTool
from tenure.tools.grep import MORE_COUNTED, GrepInput, GrepTool
from tenure.tools.limits import MAX_RESULT_BYTES
from tenure.tools.read import ReadInput, ReadTool
from tenure.workers import build_worker

ROOM = MAX_RESULT_BYTES + 1024  # a result and its note


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path)


async def test_read_of_a_3_mb_line_reads_a_piece_of_it(ctx: ToolContext) -> None:
    (ctx.workspace / "one-line.txt").write_text("x" * 3_000_000 + "\nsecond line\n")
    out = await ReadTool().execute(ReadInput(file_path="one-line.txt"), ctx)
    first, second = out.splitlines()
    assert first.startswith("     1\t" + "x" * 2000 + " ... [line cut: ")
    assert "more bytes]" in first and len(first) < 2200
    assert second == "     2\tsecond line"


async def test_read_of_2000_long_lines_stops_at_the_size_limit(ctx: ToolContext) -> None:
    (ctx.workspace / "wide.txt").write_text(("y" * 2000 + "\n") * 2000)  # 4 MB
    out = await ReadTool().execute(ReadInput(file_path="wide.txt"), ctx)
    assert len(out.encode()) <= ROOM
    last = out.splitlines()[-1]
    assert "(the output reached its size limit)" in last
    shown = len(out.splitlines()) - 1
    assert last.endswith(f"use offset={shown + 1} to read on)")
    rest = await ReadTool().execute(ReadInput(file_path="wide.txt", offset=shown + 1), ctx)
    assert rest.startswith(f"{shown + 1:>6}\t")


async def test_read_leaves_the_event_loop_free(ctx: ToolContext) -> None:
    """Read works in a thread: here it waits on a pipe that only this event loop writes
    to (a watchdog thread writes instead after 10 s, should Read block the loop)."""
    fifo = ctx.workspace / "pipe"
    os.mkfifo(fifo)

    def unblock() -> None:
        with contextlib.suppress(OSError):
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.write(fd, b"written by the watchdog\n")
            os.close(fd)

    watchdog = threading.Timer(10, unblock)
    watchdog.start()
    try:
        reading = asyncio.create_task(ReadTool().execute(ReadInput(file_path="pipe"), ctx))
        for _ in range(1000):
            await asyncio.sleep(0.01)
            assert not reading.done(), await reading
            with contextlib.suppress(OSError):  # ENXIO until Read opens the pipe
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
        os.write(fd, b"written by the event loop\n")
        os.close(fd)
        assert await reading == "     1\twritten by the event loop"
    finally:
        watchdog.cancel()


async def test_grep_keeps_head_limit_lines_and_stops_ripgrep(ctx: ToolContext) -> None:
    (ctx.workspace / "many.txt").write_text("hit\n" * (MORE_COUNTED + 100_000))
    out = await GrepTool().execute(
        GrepInput(pattern="hit", output_mode="content", head_limit=5), ctx
    )
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[-1] == (
        f"... (more than {MORE_COUNTED:,} more lines cut by head_limit=5; use offset=5 to see "
        "more, or narrow the search)"
    )
    out = await GrepTool().execute(
        GrepInput(pattern="hit", output_mode="content", head_limit=5, offset=10), ctx
    )
    assert out.splitlines()[0].endswith(":11:hit")


async def test_grep_content_is_capped_by_bytes_and_pages_on(ctx: ToolContext) -> None:
    (ctx.workspace / "wide.txt").write_text(
        "".join(f"match {n} " + "z" * 480 + "\n" for n in range(3000))
    )
    grep = GrepInput(pattern="match", output_mode="content", head_limit=3000)
    out = await GrepTool().execute(grep, ctx)
    assert len(out.encode()) <= MAX_RESULT_BYTES
    *shown, note = out.splitlines()
    assert note == (
        f"... ({3000 - len(shown)} more lines cut by the 256 KB size limit; use "
        f"offset={len(shown)} to see more, or narrow the search)"
    )
    grep.offset = len(shown)
    rest = await GrepTool().execute(grep, ctx)
    assert rest.splitlines()[0].endswith(f":{len(shown) + 1}:match {len(shown)} " + "z" * 480)


async def test_grep_pages_through_files_newest_first(ctx: ToolContext) -> None:
    for n in range(30):
        path = ctx.workspace / f"f{n:02}.txt"
        path.write_text("hit\n")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    out = await GrepTool().execute(GrepInput(pattern="hit", head_limit=10, offset=10), ctx)
    *paths, note = out.splitlines()
    assert [Path(p).name for p in paths] == [f"f{n:02}.txt" for n in range(19, 9, -1)]
    assert note.startswith("... (10 more files cut by head_limit=10; use offset=20")
    out = await GrepTool().execute(GrepInput(pattern="hit", offset=30), ctx)
    assert out == "Nothing past offset 30: the search found 30 files."


async def test_grep_reads_all_of_ripgreps_complaints(ctx: ToolContext) -> None:
    """ripgrep complains on stderr (here about 300 bad .ignore files, 3 MB): all of it is
    read, or ripgrep would block on a full pipe and never finish."""
    for n in range(300):
        folder = ctx.workspace / f"d{n}"
        folder.mkdir()
        (folder / ".ignore").write_text("a[" + "x" * 10_000 + "\n")
        (folder / "f.txt").write_text("hit\n")
    out = await asyncio.wait_for(GrepTool().execute(GrepInput(pattern="hit"), ctx), 60)
    *paths, cut = out.splitlines()
    assert len(paths) == 250 and cut.startswith("... (50 more files cut by head_limit=250")


async def test_glob_stops_looking_in_a_huge_tree(ctx: ToolContext) -> None:
    tree = ctx.workspace / "tree"
    tree.mkdir()
    for n in range(MAX_CANDIDATES + 50):
        (tree / f"f{n}.txt").touch()
    out = await GlobTool().execute(GlobInput(pattern="tree/*.txt"), ctx)
    lines = out.splitlines()
    assert len(lines) == 101
    assert lines[-1] == (
        f"(Results are truncated: the search stopped after {MAX_CANDIDATES:,} matching paths; "
        f"showing the 100 newest of the {MAX_CANDIDATES:,} files among them. Use a more "
        "specific path or pattern.)"
    )


async def test_glob_counts_the_directories_it_looks_at(ctx: ToolContext) -> None:
    for n in range(MAX_CANDIDATES + 10):
        (ctx.workspace / f"d{n}").mkdir()
    out = await GlobTool().execute(GlobInput(pattern="*"), ctx)
    assert out == f"No files found among the first {MAX_CANDIDATES:,} matching paths"


async def test_bash_printing_5_mb(ctx: ToolContext) -> None:
    command = "head -c 5000000 /dev/zero | tr '\\0' x; yes é | head -c 5000000 >&2"
    out = await BashTool().execute(BashInput(command=command), ctx)
    assert len(out.encode()) <= MAX_RESULT_BYTES
    assert out.count(f"more characters; {LONG_OUTPUT_HINT}]") == 2
    assert out.endswith("[exit code 0]")


async def test_bash_output_of_a_chatty_job(ctx: ToolContext) -> None:
    ctx.session_id = f"chatty-{uuid.uuid4().hex[:8]}"
    try:
        started = await BashTool().execute(
            BashInput(command="yes 'line é' | head -c 5000000", run_in_background=True), ctx
        )
        job = background_jobs.get(started.split()[5], ctx.session_id)
        await asyncio.wait_for(job.process.wait(), 30)
        out = await BashOutputTool().execute(BashOutputInput(bash_id=job.id), ctx)
    finally:
        await kill_session_jobs(ctx.session_id)
    assert len(out.encode()) <= MAX_RESULT_BYTES
    dropped, not_shown, *_ = out.splitlines()
    assert dropped.endswith(f"to keep everything, {LONG_OUTPUT_HINT}]")
    assert not_shown.endswith(f"read more often, use filter, or {LONG_OUTPUT_HINT}]")
    assert out.endswith(f"[{job.id}: exited with code 0]")


class Size(BaseModel):
    megabytes: int


@tool(kind="read")
async def flood(input: Size, ctx: ToolContext) -> str:
    """Returns a lot of text."""
    return "é" * (input.megabytes * 1_000_000)


async def test_any_tool_result_is_capped_in_tool_call(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"limits-{uuid.uuid4().hex[:8]}"
    model = script([[tool_use("flood", {"megabytes": 5})], [text("flooded")]])
    async with build_worker(temporal_client, task_queue=queue, tools=[flood]):
        session = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=model, prompt="go", mode="autonomous", workspace=str(workspace),
            tools=["flood"]))
        outcome = await asyncio.wait_for(session.result(), 60)
        result = (await session.transcript()).messages[2].content[0]
    assert outcome.text == "flooded"
    assert isinstance(result, ToolResultBlock) and not result.is_error
    assert len(result.content.encode()) <= ROOM
    assert result.content.endswith("a smaller page)]")
    assert "of 10,000,000 bytes" in result.content

"""Every tool result stays far below Temporal's payload limits: Read, Grep and Glob cut
their output by bytes (with a note saying how to get the rest) and stream rather than
load everything first, and tool_call caps any tool's result, a custom tool's included."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from conftest import ScriptWriter, text, tool_use
from pydantic import BaseModel
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, ToolContext, tool
from tenure.models import ToolResultBlock
from tenure.tools.glob import MAX_CANDIDATES, GlobInput, GlobTool
from tenure.tools.grep import GrepInput, GrepTool
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


async def test_grep_keeps_head_limit_lines_and_counts_the_rest(ctx: ToolContext) -> None:
    (ctx.workspace / "many.txt").write_text("hit\n" * 200_000)
    out = await GrepTool().execute(
        GrepInput(pattern="hit", output_mode="content", head_limit=5), ctx
    )
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[-1].startswith("... (199995 more lines cut by head_limit=5")


async def test_grep_content_is_capped_by_bytes(ctx: ToolContext) -> None:
    (ctx.workspace / "wide.txt").write_text(("match " + "z" * 490 + "\n") * 3000)
    out = await GrepTool().execute(
        GrepInput(pattern="match", output_mode="content", head_limit=3000), ctx
    )
    assert len(out.encode()) <= ROOM
    assert "[output cut at 256 KB" in out


async def test_glob_stops_looking_in_a_huge_tree(ctx: ToolContext) -> None:
    tree = ctx.workspace / "tree"
    tree.mkdir()
    for n in range(MAX_CANDIDATES + 50):
        (tree / f"f{n}.txt").touch()
    out = await GlobTool().execute(GlobInput(pattern="tree/*.txt"), ctx)
    lines = out.splitlines()
    assert len(lines) == 101
    assert f"more than {MAX_CANDIDATES} files match" in lines[-1]


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

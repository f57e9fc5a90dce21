"""The built-in tools against real files and real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from processes import alive, dies, wait_for_file
from pydantic import ValidationError

from tenure.models import DEFAULT_TOOLS
from tenure.tools import Tool, ToolContext, ToolError, bash, builtin_tools, input_schema
from tenure.tools.bash import BashInput, BashTool
from tenure.tools.edit import EditTool
from tenure.tools.glob import GlobTool
from tenure.tools.grep import GrepInput, GrepTool
from tenure.tools.read import ReadTool
from tenure.tools.write import WriteTool


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace.resolve()


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the workspace, with a secret in it."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.txt").write_text("secret foo\n")
    return directory.resolve()


async def run(tool: Tool, ctx: ToolContext, **input: Any) -> str:
    return await tool.execute(tool.input_model.model_validate(input), ctx)








def touch(path: Path, content: str, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    os.utime(path, (mtime, mtime))


# --- the set of tools -------------------------------------------------------------------------

MINIMAL_INPUTS = {
    "Read": {"file_path": "a"},
    "Write": {"file_path": "a", "content": ""},
    "Edit": {"file_path": "a", "old_string": "x", "new_string": "y"},
    "Bash": {"command": "true"},
    "Glob": {"pattern": "*"},
    "Grep": {"pattern": "x"},
    "BashOutput": {"bash_id": "bash_1"},
    "KillShell": {"shell_id": "bash_1"},
    "WebFetch": {"url": "http://x"},
    "TodoWrite": {"todos": []},
    "AskUserQuestion": {"questions": [{"question": "Q?", "header": "H", "options": [
        {"label": "a"}, {"label": "b"}]}]},
    "PresentFile": {"file_path": "a"},
    "Agent": {"description": "look", "prompt": "look around"},
}


def test_builtin_tools_are_the_default_tools() -> None:
    tools = builtin_tools()
    assert [t.name for t in tools] == DEFAULT_TOOLS
    assert all(isinstance(t, Tool) for t in tools)
    assert {t.name: t.kind for t in tools} == {
        "Read": "read",
        "Write": "edit",
        "Edit": "edit",
        "Bash": "execute",
        "Glob": "read",
        "Grep": "read",
        "BashOutput": "read",
        "KillShell": "execute",
        "WebFetch": "execute",
        "TodoWrite": "read",
        "AskUserQuestion": "read",
        "PresentFile": "read",
        "Agent": "read",
    }


@pytest.mark.parametrize("tool", builtin_tools(), ids=lambda t: t.name)
def test_input_models_accept_minimal_input_and_reject_unknown_fields(tool: Tool) -> None:
    minimal = MINIMAL_INPUTS[tool.name]
    tool.input_model.model_validate(minimal)
    with pytest.raises(ValidationError, match="bogus"):
        tool.input_model.model_validate({**minimal, "bogus": 1})
    assert "title" not in input_schema(tool)
    assert tool.description


# --- Read -------------------------------------------------------------------------------------


async def test_read_numbers_lines_like_cat_n(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("alpha\n\tbeta\ngamma")
    assert await run(ReadTool(), ctx, file_path="f.txt") == (
        "     1\talpha\n     2\t\tbeta\n     3\tgamma"
    )


async def test_read_absolute_path_inside_workspace(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("x\n")
    assert await run(ReadTool(), ctx, file_path=str(ws / "f.txt")) == "     1\tx"


async def test_read_offset_and_limit_with_hint(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    out = await run(ReadTool(), ctx, file_path="f.txt", offset=3, limit=2)
    assert out == (
        "     3\tline 3\n     4\tline 4\n... (6 more lines; use offset=5 to read on)"
    )
    tail = await run(ReadTool(), ctx, file_path="f.txt", offset=9)
    assert tail == "     9\tline 9\n    10\tline 10"


async def test_read_counts_the_lines_after_what_it_shows(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("1\n2\n" + "x" * 3_000_000 + "\n4\n5")  # no newline at the end
    out = await run(ReadTool(), ctx, file_path="f.txt", limit=1)
    assert out == "     1\t1\n... (4 more lines; use offset=2 to read on)"


async def test_read_defaults_to_2000_lines(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("".join(f"{i}\n" for i in range(1, 2006)))
    lines = (await run(ReadTool(), ctx, file_path="f.txt")).splitlines()
    assert len(lines) == 2001
    assert lines[-2] == "  2000\t2000"
    assert lines[-1] == "... (5 more lines; use offset=2001 to read on)"


async def test_read_cuts_long_lines(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("a" * 2500 + "\nshort\n")
    first, second = (await run(ReadTool(), ctx, file_path="f.txt")).splitlines()
    assert first == "     1\t" + "a" * 2000 + " ... [line cut: 500 more characters]"
    assert second == "     2\tshort"


async def test_read_offset_past_end(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("a\nb\n")
    with pytest.raises(ToolError, match="only 2 lines; offset 5"):
        await run(ReadTool(), ctx, file_path="f.txt", offset=5)


async def test_read_empty_file(ctx: ToolContext, ws: Path) -> None:
    (ws / "empty.txt").write_text("")
    assert "exists but is empty" in await run(ReadTool(), ctx, file_path="empty.txt")


async def test_read_refuses_binary(ctx: ToolContext, ws: Path) -> None:
    (ws / "b.bin").write_bytes(b"PK\x03\x04\x00\x00data")
    with pytest.raises(ToolError, match="binary"):
        await run(ReadTool(), ctx, file_path="b.bin")


async def test_read_refuses_directory(ctx: ToolContext, ws: Path) -> None:
    (ws / "d").mkdir()
    with pytest.raises(ToolError, match="is a directory.*Glob"):
        await run(ReadTool(), ctx, file_path="d")


async def test_read_missing_file(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        await run(ReadTool(), ctx, file_path="nope.txt")


async def test_read_rejects_offset_zero() -> None:
    with pytest.raises(ValidationError):
        ReadTool().input_model.model_validate({"file_path": "a", "offset": 0})


# --- Write ------------------------------------------------------------------------------------


async def test_write_creates_parents_and_round_trips(ctx: ToolContext, ws: Path) -> None:
    out = await run(WriteTool(), ctx, file_path="a/b/c.txt", content="héllo\nworld\n")
    assert out == f"Wrote 13 bytes to {ws / 'a/b/c.txt'}"
    assert (ws / "a/b/c.txt").read_text() == "héllo\nworld\n"
    assert await run(ReadTool(), ctx, file_path="a/b/c.txt") == "     1\théllo\n     2\tworld"


async def test_write_overwrites(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.txt").write_text("old content")
    await run(WriteTool(), ctx, file_path="f.txt", content="new")
    assert (ws / "f.txt").read_text() == "new"


async def test_write_refuses_directory(ctx: ToolContext, ws: Path) -> None:
    (ws / "d").mkdir()
    with pytest.raises(ToolError, match="is a directory"):
        await run(WriteTool(), ctx, file_path="d", content="x")


# --- Edit -------------------------------------------------------------------------------------


async def test_edit_replaces_once(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    out = await run(EditTool(), ctx, file_path="f.py", old_string="b = 2", new_string="b = 3")
    assert out == f"Edited {ws / 'f.py'}: 1 replacement."
    assert (ws / "f.py").read_bytes() == b"a = 1\r\nb = 3\r\n"  # line endings kept


async def test_edit_no_match(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.py").write_text("a = 1\n")
    with pytest.raises(ToolError, match="not found"):
        await run(EditTool(), ctx, file_path="f.py", old_string="zzz", new_string="y")
    assert (ws / "f.py").read_text() == "a = 1\n"


async def test_edit_several_matches_need_replace_all(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.py").write_text("x\nx\nx\n")
    with pytest.raises(ToolError, match="occurs 3 times"):
        await run(EditTool(), ctx, file_path="f.py", old_string="x", new_string="y")
    assert (ws / "f.py").read_text() == "x\nx\nx\n"
    out = await run(
        EditTool(), ctx, file_path="f.py", old_string="x", new_string="y", replace_all=True
    )
    assert out.endswith(": 3 replacements.")
    assert (ws / "f.py").read_text() == "y\ny\ny\n"


async def test_edit_same_strings(ctx: ToolContext, ws: Path) -> None:
    (ws / "f.py").write_text("x\n")
    with pytest.raises(ToolError, match="the same"):
        await run(EditTool(), ctx, file_path="f.py", old_string="x", new_string="x")


async def test_edit_missing_file(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        await run(EditTool(), ctx, file_path="nope.py", old_string="x", new_string="y")


# --- confinement ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        (ReadTool(), {}),
        (WriteTool(), {"content": "pwned"}),
        (EditTool(), {"old_string": "secret", "new_string": "pwned"}),
    ],
    ids=["Read", "Write", "Edit"],
)
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlinked_dir"])
async def test_file_tools_refuse_paths_outside(
    tool: Tool, extra: dict[str, str], how: str, ctx: ToolContext, ws: Path, outside: Path
) -> None:
    (ws / "link.txt").symlink_to(outside / "secret.txt")
    (ws / "linkdir").symlink_to(outside)
    file_path = {
        "dotdot": "../outside/secret.txt",
        "absolute": str(outside / "secret.txt"),
        "symlink": "link.txt",
        "symlinked_dir": "linkdir/secret.txt",
    }[how]
    with pytest.raises(ToolError, match="outside the session's workspace"):
        await run(tool, ctx, file_path=file_path, **extra)
    assert (outside / "secret.txt").read_text() == "secret foo\n"


async def test_write_refuses_new_file_through_symlinked_dir(
    ctx: ToolContext, ws: Path, outside: Path
) -> None:
    (ws / "linkdir").symlink_to(outside)
    with pytest.raises(ToolError, match="outside"):
        await run(WriteTool(), ctx, file_path="linkdir/new.txt", content="x")
    assert not (outside / "new.txt").exists()


async def test_additional_directories_are_allowed(ws: Path, outside: Path) -> None:
    ctx = ToolContext(workspace=ws, additional_directories=[outside])
    out = await run(ReadTool(), ctx, file_path=str(outside / "secret.txt"))
    assert out == "     1\tsecret foo"


# --- Bash -------------------------------------------------------------------------------------


@pytest.fixture
def short_kill_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Escalate to SIGKILL sooner. (Where PID 1 reaps orphans slowly, their zombies keep the
    process group alive until the grace ends.)"""
    monkeypatch.setattr(bash, "KILL_GRACE_S", 0.2)


async def test_bash_stdout_stderr_exit_code(ctx: ToolContext) -> None:
    out = await run(BashTool(), ctx, command="echo out; echo err >&2")
    assert out == "out\n[stderr]\nerr\n[exit code 0]"


async def test_bash_nonzero_exit_is_not_an_error(ctx: ToolContext) -> None:
    out = await run(BashTool(), ctx, command="echo partial; exit 3")
    assert out == "partial\n[exit code 3: the command failed]"


async def test_bash_no_output(ctx: ToolContext) -> None:
    assert await run(BashTool(), ctx, command="true") == "(no output)\n[exit code 0]"


async def test_bash_runs_in_workspace_with_empty_stdin(ctx: ToolContext, ws: Path) -> None:
    # Put a pipe that never closes on our own stdin: `cat` would hang if bash inherited it.
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        out = await run(BashTool(), ctx, command="pwd; cat", timeout_ms=2000)
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)
    assert out == f"{ws}\n[exit code 0]"


async def test_bash_killed_by_signal(ctx: ToolContext) -> None:
    out = await run(BashTool(), ctx, command="kill -9 $$")
    assert out.endswith("[killed by signal SIGKILL]")


async def test_bash_cuts_long_output(ctx: ToolContext) -> None:
    out = await run(
        BashTool(), ctx, command="head -c 40000 /dev/zero | tr '\\0' a; echo; echo e >&2"
    )
    stdout, rest = out.split("\n... [output cut: ", 1)
    assert stdout == "a" * 30000
    assert rest == f"10001 more characters; {bash.LONG_OUTPUT_HINT}]\n[stderr]\ne\n[exit code 0]"


async def test_bash_large_output_on_both_pipes_does_not_deadlock(ctx: ToolContext) -> None:
    out = await run(BashTool(), ctx, command="seq 200000 >&2; seq 200000", timeout_ms=20000)
    assert out.startswith("1\n2\n3\n")
    assert "[stderr]\n1\n2\n" in out
    assert out.endswith("[exit code 0]")


@pytest.mark.usefixtures("short_kill_grace")
async def test_bash_timeout_kills_the_process_group(ctx: ToolContext, ws: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ToolError) as caught:
        await run(
            BashTool(), ctx, command="sleep 30 & echo $! > pid; echo started; wait", timeout_ms=300
        )
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert message.startswith("started\n")
    assert "timed out after 300 ms" in message
    assert await dies(int((ws / "pid").read_text()))


@pytest.mark.usefixtures("short_kill_grace")
async def test_bash_timeout_kills_children_that_ignore_sigterm(ctx: ToolContext, ws: Path) -> None:
    command = "bash -c 'trap \"\" TERM; echo $$ > pid; sleep 30' & wait"
    with pytest.raises(ToolError, match="timed out"):
        await run(BashTool(), ctx, command=command, timeout_ms=300)
    assert await dies(int((ws / "pid").read_text()))


@pytest.mark.usefixtures("short_kill_grace")
async def test_bash_cancellation_kills_the_process_group(ctx: ToolContext, ws: Path) -> None:
    task = asyncio.create_task(
        run(BashTool(), ctx, command="echo $$ > shell; sleep 30 & echo $! > child; wait")
    )
    shell = int(await wait_for_file(ws / "shell"))
    child = int(await wait_for_file(ws / "child"))
    assert alive(shell) and alive(child)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await dies(shell)
    assert await dies(child)


async def test_bash_background_process_holding_output_does_not_block(
    ctx: ToolContext, ws: Path
) -> None:
    start = time.monotonic()
    out = await run(BashTool(), ctx, command="sleep 30 & echo $! > pid; echo hi")
    try:
        assert time.monotonic() - start < 5
        assert out.startswith("hi\n")
        assert "stopped reading" in out
        assert out.endswith("[exit code 0]")
    finally:
        os.kill(int((ws / "pid").read_text()), signal.SIGKILL)


def test_bash_timeout_bounds() -> None:
    assert BashInput.model_validate({"command": "x"}).timeout_after_ms == 120_000
    assert BashInput.model_validate({"command": "x", "timeout": 5000}).timeout_after_ms == 5000
    assert BashInput.model_validate({"command": "x", "timeout_ms": 7000}).timeout_after_ms == 7000
    assert "timeout_ms" not in BashInput.model_json_schema()["properties"]
    assert BashInput.model_json_schema()["properties"]["timeout"]["type"] == "integer"
    with pytest.raises(ValidationError):
        BashInput.model_validate({"command": "x", "timeout": 600_001})
    BashInput.model_validate({"command": "x", "timeout_ms": 600_000})
    with pytest.raises(ValidationError):
        BashInput.model_validate({"command": "x", "timeout_ms": 600_001})
    with pytest.raises(ValidationError):
        BashInput.model_validate({"command": "x", "timeout_ms": 0})


# --- Glob -------------------------------------------------------------------------------------


async def test_glob_newest_first(ctx: ToolContext, ws: Path) -> None:
    touch(ws / "old.py", "", 1_000_000)
    touch(ws / "sub/deep/new.py", "", 3_000_000)
    touch(ws / "sub/mid.py", "", 2_000_000)
    touch(ws / "other.txt", "", 4_000_000)
    out = await run(GlobTool(), ctx, pattern="**/*.py")
    assert out.splitlines() == [
        str(ws / "sub/deep/new.py"),
        str(ws / "sub/mid.py"),
        str(ws / "old.py"),
    ]


async def test_glob_in_subdirectory(ctx: ToolContext, ws: Path) -> None:
    touch(ws / "top.py", "", 1_000_000)
    touch(ws / "sub/a.py", "", 1_000_000)
    assert await run(GlobTool(), ctx, pattern="*.py", path="sub") == str(ws / "sub/a.py")


async def test_glob_no_match(ctx: ToolContext, ws: Path) -> None:
    (ws / "a.txt").write_text("")
    assert await run(GlobTool(), ctx, pattern="**/*.rs") == "No files found"


async def test_glob_truncates_at_100(ctx: ToolContext, ws: Path) -> None:
    for i in range(105):
        touch(ws / f"f{i:03}.txt", "", 1_000_000 + i)
    lines = (await run(GlobTool(), ctx, pattern="*.txt")).splitlines()
    assert len(lines) == 101
    assert lines[0] == str(ws / "f104.txt")
    assert lines[99] == str(ws / "f005.txt")
    assert "truncated" in lines[100] and "105" in lines[100]


async def test_glob_stays_inside(ctx: ToolContext, ws: Path, outside: Path) -> None:
    (ws / "linkdir").symlink_to(outside)
    (ws / "link.txt").symlink_to(outside / "secret.txt")
    (ws / "mine.txt").write_text("")
    assert await run(GlobTool(), ctx, pattern="**/*.txt") == str(ws / "mine.txt")
    assert await run(GlobTool(), ctx, pattern="../outside/*") == "No files found"
    with pytest.raises(ToolError, match="outside"):
        await run(GlobTool(), ctx, pattern="*", path="..")


# --- Grep -------------------------------------------------------------------------------------


@pytest.fixture
def tree(ws: Path) -> Path:
    touch(ws / "a.py", "def foo():\n    return 1\n", 3_000_000)
    touch(ws / "b.py", "FOO = 2\n", 2_000_000)
    touch(ws / "c.txt", "one\nfoo bar\nthree\nfour\n", 1_000_000)
    return ws


async def test_grep_files_with_matches_newest_first(ctx: ToolContext, tree: Path) -> None:
    out = await run(GrepTool(), ctx, pattern="foo")
    assert out.splitlines() == [str(tree / "a.py"), str(tree / "c.txt")]


async def test_grep_case_insensitive(ctx: ToolContext, tree: Path) -> None:
    out = await run(GrepTool(), ctx, pattern="foo", **{"-i": True})
    assert out.splitlines() == [str(tree / "a.py"), str(tree / "b.py"), str(tree / "c.txt")]


async def test_grep_content_mode(ctx: ToolContext, tree: Path) -> None:
    out = await run(GrepTool(), ctx, pattern="foo", output_mode="content")
    assert out.splitlines() == [f"{tree / 'a.py'}:1:def foo():", f"{tree / 'c.txt'}:2:foo bar"]
    plain = await run(GrepTool(), ctx, pattern="foo", output_mode="content", **{"-n": False})
    assert plain.splitlines() == [f"{tree / 'a.py'}:def foo():", f"{tree / 'c.txt'}:foo bar"]


async def test_grep_context_lines(ctx: ToolContext, tree: Path) -> None:
    c = tree / "c.txt"
    after = await run(GrepTool(), ctx, pattern="bar", output_mode="content", **{"-A": 1})
    assert after.splitlines() == [f"{c}:2:foo bar", f"{c}-3-three"]
    before = await run(GrepTool(), ctx, pattern="bar", output_mode="content", **{"-B": 1})
    assert before.splitlines() == [f"{c}-1-one", f"{c}:2:foo bar"]
    both = await run(GrepTool(), ctx, pattern="bar", output_mode="content", **{"-C": 1})
    assert both.splitlines() == [f"{c}-1-one", f"{c}:2:foo bar", f"{c}-3-three"]


async def test_grep_count(ctx: ToolContext, ws: Path) -> None:
    touch(ws / "x.txt", "hit\nhit\nmiss\n", 1_000_000)
    touch(ws / "y.txt", "hit\n", 1_000_000)
    out = await run(GrepTool(), ctx, pattern="hit", output_mode="count")
    assert out.splitlines() == [f"{ws / 'x.txt'}:2", f"{ws / 'y.txt'}:1"]


async def test_grep_glob_and_type_filters(ctx: ToolContext, tree: Path) -> None:
    assert await run(GrepTool(), ctx, pattern="foo", glob="*.txt") == str(tree / "c.txt")
    assert await run(GrepTool(), ctx, pattern="foo", type="py") == str(tree / "a.py")


async def test_grep_path(ctx: ToolContext, tree: Path) -> None:
    touch(tree / "sub/d.py", "foo\n", 1_000_000)
    assert await run(GrepTool(), ctx, pattern="foo", path="sub") == str(tree / "sub/d.py")
    assert await run(GrepTool(), ctx, pattern="foo", path="c.txt") == str(tree / "c.txt")


async def test_grep_head_limit(ctx: ToolContext, ws: Path) -> None:
    touch(ws / "many.txt", "".join(f"hit {i}\n" for i in range(10)), 1_000_000)
    out = await run(GrepTool(), ctx, pattern="hit", output_mode="content", head_limit=3)
    lines = out.splitlines()
    assert lines[:3] == [f"{ws / 'many.txt'}:{i + 1}:hit {i}" for i in range(3)]
    assert len(lines) == 4
    assert lines[3].startswith("... (7 more lines cut by head_limit=3")


async def test_grep_multiline(ctx: ToolContext, tree: Path) -> None:
    pattern = r"foo\(\):\s+return"
    assert await run(GrepTool(), ctx, pattern=pattern) == "No matches found"
    assert await run(GrepTool(), ctx, pattern=pattern, multiline=True) == str(tree / "a.py")


async def test_grep_pattern_starting_with_dash(ctx: ToolContext, ws: Path) -> None:
    touch(ws / "f.txt", "a --flag here\n", 1_000_000)
    assert await run(GrepTool(), ctx, pattern="--flag") == str(ws / "f.txt")


async def test_grep_hidden_files_but_not_git(ctx: ToolContext, ws: Path) -> None:
    touch(ws / ".env", "foo\n", 1_000_000)
    touch(ws / ".git/config", "foo\n", 1_000_000)
    assert await run(GrepTool(), ctx, pattern="foo") == str(ws / ".env")


async def test_grep_no_match(ctx: ToolContext, tree: Path) -> None:
    assert await run(GrepTool(), ctx, pattern="nothing-like-this") == "No matches found"


async def test_grep_bad_regex(ctx: ToolContext, tree: Path) -> None:
    with pytest.raises(ToolError, match="regex parse error"):
        await run(GrepTool(), ctx, pattern="foo(")


async def test_grep_stays_inside(ctx: ToolContext, tree: Path, outside: Path) -> None:
    (tree / "linkdir").symlink_to(outside)
    (tree / "link.txt").symlink_to(outside / "secret.txt")
    assert await run(GrepTool(), ctx, pattern="secret") == "No matches found"
    with pytest.raises(ToolError, match="outside"):
        await run(GrepTool(), ctx, pattern="secret", path="..")
    with pytest.raises(ToolError, match="outside"):
        await run(GrepTool(), ctx, pattern="secret", path="linkdir")


def test_grep_dash_options_use_aliases() -> None:
    parsed = GrepInput.model_validate({"pattern": "x", "-i": True, "-C": 2})
    assert parsed.case_insensitive and parsed.context == 2
    assert {"-i", "-n", "-A", "-B", "-C"} <= set(GrepInput.model_json_schema()["properties"])
    with pytest.raises(ValidationError):
        GrepInput.model_validate({"pattern": "x", "output_mode": "lines"})

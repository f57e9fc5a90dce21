"""Write and Edit replace a file atomically: a writer killed midway leaves the old
content or the new, never a truncated file; the file keeps its mode; a symlink stays a
symlink; no temporary file is left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from pathlib import Path

from tenure.tools import ToolContext
from tenure.tools.edit import EditInput, EditTool
from tenure.tools.write import WriteInput, WriteTool

WRITER = """
import asyncio, sys
from pathlib import Path
from tenure.tools import ToolContext
from tenure.tools.write import WriteInput, WriteTool
ctx = ToolContext(workspace=Path(sys.argv[1]))
print("writing", flush=True)
asyncio.run(WriteTool().execute(WriteInput(file_path="big.txt", content="n" * 300_000_000), ctx))
"""


async def test_a_writer_killed_midway_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "big.txt"
    old = "o" * 1_000_000
    target.write_text(old)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await process.stdout.readline() == b"writing\n"
    # Kill the writer once bytes are going to disk (into the target itself, or into a
    # temporary file beside it), well before 300 MB are written.
    while not (target.stat().st_size != len(old) or _partial_bytes(tmp_path) > 1_000_000):
        await asyncio.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    assert target.read_text() == old


def _partial_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob(".big.txt.*.partial"))


async def test_write_and_edit_keep_mode_and_symlinks_and_leave_no_temporary_files(
    tmp_path: Path,
) -> None:
    ctx = ToolContext(workspace=tmp_path)
    script = tmp_path / "run.sh"
    script.write_text("echo old\n")
    script.chmod(0o755)
    await WriteTool().execute(WriteInput(file_path="run.sh", content="echo new\n"), ctx)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    await EditTool().execute(
        EditInput(file_path="run.sh", old_string="new", new_string="newer"), ctx
    )
    assert script.read_text() == "echo newer\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755

    (tmp_path / "link.sh").symlink_to(script)
    await WriteTool().execute(WriteInput(file_path="link.sh", content="echo linked\n"), ctx)
    assert (tmp_path / "link.sh").is_symlink()
    assert script.read_text() == "echo linked\n"

    await WriteTool().execute(WriteInput(file_path="fresh/new.txt", content="x"), ctx)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh/new.txt").stat().st_mode) == 0o666 & ~umask
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".partial")]
    assert leftovers == []

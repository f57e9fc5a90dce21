"""Grep: search file contents with ripgrep."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.limits import cap_bytes

DEFAULT_HEAD_LIMIT = 250
MAX_COLUMNS = 500
MAX_PATHS = 20_000
"""files_with_matches keeps this many paths to sort newest first; the rest are counted."""
LINE_LIMIT = 1 << 20
"""Longest line read from ripgrep (its lines are cut at MAX_COLUMNS; paths are short)."""
"""Longer matching lines (minified files, say) are elided by ripgrep."""

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
        f"- Output is cut after head_limit lines (default {DEFAULT_HEAD_LIMIT})."
    )

    async def execute(self, input: GrepInput, ctx: ToolContext) -> str:
        target = ctx.resolve_path(input.path or ".")
        if not target.exists():
            raise ToolError(f"Path does not exist: {target}")
        keep = MAX_PATHS if input.output_mode == "files_with_matches" else input.head_limit
        lines, more, stderr, code = await _run(
            [_rg(), *_arguments(input), "--", str(target)], ctx, keep
        )
        if code >= 2 and not lines:
            raise ToolError(f"ripgrep failed: {stderr.strip() or f'exit code {code}'}")
        if not lines:
            return "No matches found"
        if input.output_mode == "files_with_matches":
            lines = _newest_first(lines)
            more += max(0, len(lines) - input.head_limit)
            lines = lines[: input.head_limit]
        if more:
            lines.append(
                f"... ({more} more lines cut by head_limit={input.head_limit}; narrow the "
                "search or raise head_limit)"
            )
        if code >= 2:
            lines.append(f"[ripgrep reported errors]\n{stderr.strip()}")
        return cap_bytes("\n".join(lines), "narrow the search or lower head_limit")


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


async def _run(argv: list[str], ctx: ToolContext, keep: int) -> tuple[list[str], int, str, int]:
    """ripgrep's first `keep` output lines, how many more it printed (counted as they
    stream by, never held), its stderr (the first 64 KB) and its exit code."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ctx.workspace,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=LINE_LIMIT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    errors = asyncio.create_task(proc.stderr.read(64 * 1024))
    lines: list[str] = []
    more = 0
    try:
        async for raw in proc.stdout:
            if len(lines) < keep:
                lines.append(raw.decode(errors="replace").rstrip("\n"))
            else:
                more += 1
        code = await proc.wait()
        stderr = (await errors).decode(errors="replace")
    except BaseException:
        proc.kill()
        errors.cancel()
        raise
    return lines, more, stderr, code


def _newest_first(paths: list[str]) -> list[str]:
    def mtime(path: str) -> float:
        try:
            return Path(path).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=lambda p: (-mtime(p), p))

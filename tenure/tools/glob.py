"""Glob: find files by name pattern, newest first."""

from __future__ import annotations

import asyncio
import heapq
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.limits import cap_bytes

MAX_RESULTS = 100
MAX_CANDIDATES = 20_000
"""Matching paths looked at before the search stops (each is stat-ed to sort newest first)."""


class GlobInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(description='The glob pattern to match files against, e.g. "**/*.py".')
    path: str | None = Field(
        default=None,
        description="The directory to search in (default: the workspace). Omit it for the "
        "default; do not pass 'undefined' or 'null'.",
    )


class GlobTool:
    name = "Glob"
    kind: ToolKind = "read"
    input_model: type[BaseModel] = GlobInput
    description = (
        "Fast file pattern matching.\n\n"
        '- Supports glob patterns such as "**/*.js" or "src/**/*.ts"; ** matches any number of '
        "directories.\n"
        "- Returns the absolute paths of matching files, newest (by modification time) first, "
        f"at most {MAX_RESULTS}. Where more than {MAX_CANDIDATES:,} paths match, only the "
        "first found are looked at: the result is the newest of those, with a note.\n"
        "- Use it to find files by name; use Grep to search their contents."
    )

    async def execute(self, input: GlobInput, ctx: ToolContext) -> str:
        base = ctx.resolve_path(input.path or ".")
        if not base.is_dir():
            raise ToolError(f"{base} is not a directory.")
        if Path(input.pattern).is_absolute():
            raise ToolError("pattern must be relative; pass the directory to search as path.")
        try:
            files, matched, stopped = await asyncio.to_thread(_matches, base, input.pattern, ctx)
        except (ValueError, NotImplementedError) as e:
            raise ToolError(f"Invalid glob pattern {input.pattern!r}: {e}") from None
        if not files:
            where = f" among the first {MAX_CANDIDATES:,} matching paths" if stopped else ""
            return f"No files found{where}"
        lines = [str(f) for f in files]
        if stopped:
            lines.append(
                f"(Results are truncated: the search stopped after {MAX_CANDIDATES:,} matching "
                f"paths; showing the {len(files)} newest of the {matched:,} files among them. Use "
                "a more specific path or pattern.)"
            )
        elif matched > MAX_RESULTS:
            lines.append(
                f"(Results are truncated: showing the {MAX_RESULTS} newest of {matched} files. "
                "Use a more specific path or pattern.)"
            )
        return cap_bytes("\n".join(lines), "use a more specific path or pattern")


def _matches(base: Path, pattern: str, ctx: ToolContext) -> tuple[list[Path], int, bool]:
    """The MAX_RESULTS newest files under base matching pattern and inside the
    workspace, how many matched, and whether the search stopped early: only the first
    MAX_CANDIDATES paths the pattern yields are stat-ed, so a huge tree is not stat-ed
    whole (nor held: only the newest MAX_RESULTS are)."""
    newest: list[tuple[float, str]] = []
    matched = 0
    for looked, path in enumerate(base.glob(pattern)):
        if looked == MAX_CANDIDATES:
            return _by_age(newest), matched, True
        try:
            ctx.resolve_path(str(path))  # skips `..` and symlinks that lead outside
            info = path.stat()
        except (ToolError, OSError):
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        matched += 1
        entry = (info.st_mtime, str(path))
        if len(newest) < MAX_RESULTS:
            heapq.heappush(newest, entry)
        elif entry > newest[0]:
            heapq.heapreplace(newest, entry)
    return _by_age(newest), matched, False


def _by_age(entries: list[tuple[float, str]]) -> list[Path]:
    """Newest first; paths of the same age in name order."""
    return [Path(p) for _, p in sorted(entries, key=lambda item: (-item[0], item[1]))]

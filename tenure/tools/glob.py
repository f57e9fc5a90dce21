"""Glob: find files by name pattern, newest first."""

from __future__ import annotations

import asyncio
import heapq
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError

MAX_RESULTS = 100
MAX_CANDIDATES = 20_000
"""Matches looked at before the search stops (each is stat-ed to sort newest first)."""


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
        f"at most {MAX_RESULTS}.\n"
        "- Use it to find files by name; use Grep to search their contents."
    )

    async def execute(self, input: GlobInput, ctx: ToolContext) -> str:
        base = ctx.resolve_path(input.path or ".")
        if not base.is_dir():
            raise ToolError(f"{base} is not a directory.")
        if Path(input.pattern).is_absolute():
            raise ToolError("pattern must be relative; pass the directory to search as path.")
        try:
            files, matched = await asyncio.to_thread(_matches, base, input.pattern, ctx)
        except (ValueError, NotImplementedError) as e:
            raise ToolError(f"Invalid glob pattern {input.pattern!r}: {e}") from None
        if not files:
            return "No files found"
        lines = [str(f) for f in files]
        if matched > MAX_CANDIDATES:
            lines.append(
                f"(Results are truncated: more than {MAX_CANDIDATES} files match; showing the "
                f"{MAX_RESULTS} newest of the first {MAX_CANDIDATES} found. Use a more specific "
                "path or pattern.)"
            )
        elif matched > MAX_RESULTS:
            lines.append(
                f"(Results are truncated: showing the {MAX_RESULTS} newest of {matched} files. "
                "Use a more specific path or pattern.)"
            )
        return "\n".join(lines)


def _matches(base: Path, pattern: str, ctx: ToolContext) -> tuple[list[Path], int]:
    """The MAX_RESULTS newest files under base matching pattern and inside the
    workspace, and how many matched. Only the first MAX_CANDIDATES matches are looked at
    (their count is then MAX_CANDIDATES + 1): a huge tree is not stat-ed whole."""
    newest: list[tuple[float, str]] = []
    matched = 0
    for path in base.glob(pattern):
        try:
            ctx.resolve_path(str(path))  # skips `..` and symlinks that lead outside
            if not path.is_file():
                continue
            mtime = path.stat().st_mtime
        except (ToolError, OSError):
            continue
        matched += 1
        if matched > MAX_CANDIDATES:
            break
        entry = (mtime, str(path))
        if len(newest) < MAX_RESULTS:
            heapq.heappush(newest, entry)
        elif entry > newest[0]:
            heapq.heapreplace(newest, entry)
    newest.sort(key=lambda item: (-item[0], item[1]))
    return [Path(p) for _, p in newest], matched

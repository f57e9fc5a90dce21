"""Read: a text file as numbered lines, like `cat -n`."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
BINARY_SNIFF_BYTES = 8192


class ReadInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(
        description="Path of the file to read (absolute, or relative to the workspace)."
    )
    offset: int | None = Field(
        default=None,
        ge=1,
        description="Line number to start reading from (1-based). Only needed for large files.",
    )
    limit: int | None = Field(
        default=None, ge=1, description=f"Number of lines to read (default {DEFAULT_LIMIT})."
    )


class ReadTool:
    name = "Read"
    kind: ToolKind = "read"
    input_model: type[BaseModel] = ReadInput
    description = (
        "Reads a text file from the local filesystem.\n\n"
        "Usage:\n"
        "- file_path may be absolute or relative to the workspace; paths outside it are refused.\n"
        f"- By default reads up to {DEFAULT_LIMIT} lines from the start of the file. For long "
        "files you can pass offset (1-based line number) and limit to read one part, but prefer "
        "reading the whole file when it is not too long.\n"
        f"- Lines longer than {MAX_LINE_CHARS} characters are cut.\n"
        "- Output is `cat -n` style: each line starts with its line number and a tab. That prefix "
        "is not part of the file; leave it out when you quote text for Edit.\n"
        "- Reads files only, not directories: use Glob, or `ls` via Bash, to list a directory.\n"
        "- Binary files are refused.\n"
        "- When you need several files, read them all in one response."
    )

    async def execute(self, input: ReadInput, ctx: ToolContext) -> str:
        path = ctx.resolve_path(input.file_path)
        if path.is_dir():
            raise ToolError(
                f"{path} is a directory, not a file. Use Glob, or `ls` via Bash, to list it."
            )
        try:
            with path.open("rb") as raw:
                if b"\0" in raw.read(BINARY_SNIFF_BYTES):
                    raise ToolError(f"{path} looks like a binary file; Read shows text only.")
            with path.open(encoding="utf-8", errors="replace") as text:
                return _numbered(text, input.offset or 1, input.limit or DEFAULT_LIMIT, path.name)
        except FileNotFoundError:
            raise ToolError(f"File does not exist: {path}") from None
        except OSError as e:
            raise ToolError(f"Cannot read {path}: {e.strerror or e}") from None


def _numbered(lines: Iterable[str], offset: int, limit: int, name: str) -> str:
    """Lines offset..offset+limit-1, numbered `cat -n` style, and a hint if more remain."""
    out: list[str] = []
    total = 0
    for total, line in enumerate(lines, start=1):
        if offset <= total < offset + limit:
            text = line.rstrip("\n")
            if len(text) > MAX_LINE_CHARS:
                cut = len(text) - MAX_LINE_CHARS
                text = f"{text[:MAX_LINE_CHARS]} ... [line cut: {cut} more characters]"
            out.append(f"{total:>6}\t{text}")
    if total == 0:
        return f"(The file {name} exists but is empty.)"
    if offset > total:
        raise ToolError(f"{name} has only {total} lines; offset {offset} is past its end.")
    last = offset + len(out) - 1
    if last < total:
        out.append(f"... ({total - last} more lines; use offset={last + 1} to read on)")
    return "\n".join(out)

"""Read: a text file as numbered lines, like `cat -n`."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.limits import MAX_RESULT_BYTES

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
LINE_BYTES = 64 * 1024
"""Of a longer line only this much is read; the rest is skipped, not loaded."""
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
        # A big file takes a while to go through: not on the worker's event loop.
        return await asyncio.to_thread(
            _read, path, input.offset or 1, input.limit or DEFAULT_LIMIT
        )


def _read(path: Path, offset: int, limit: int) -> str:
    if path.is_dir():
        raise ToolError(
            f"{path} is a directory, not a file. Use Glob, or `ls` via Bash, to list it."
        )
    try:
        with io.BufferedReader(io.FileIO(path), BINARY_SNIFF_BYTES) as raw:
            if b"\0" in raw.peek(BINARY_SNIFF_BYTES)[:BINARY_SNIFF_BYTES]:
                raise ToolError(f"{path} looks like a binary file; Read shows text only.")
            return _numbered(raw, offset, limit, path.name)
    except FileNotFoundError:
        raise ToolError(f"File does not exist: {path}") from None
    except OSError as e:
        raise ToolError(f"Cannot read {path}: {e.strerror or e}") from None


def _numbered(raw: BinaryIO, offset: int, limit: int, name: str) -> str:
    """Lines offset..offset+limit-1, numbered `cat -n` style, and a hint if more remain.
    The file is read in bounded pieces: a line is never held longer than LINE_BYTES, the
    output stops at MAX_RESULT_BYTES, and the lines after it are only counted."""
    out: list[str] = []
    size = 0
    number = 0
    full = False
    while number < offset + limit - 1 and (line := _read_line(raw)) is not None:
        number += 1
        if number < offset:
            continue
        entry = f"{number:>6}\t{_shown(*line)}"
        size += len(entry.encode("utf-8")) + 1
        if size > MAX_RESULT_BYTES:
            full = True
            break
        out.append(entry)
    number += _count_lines(raw)
    if number == 0:
        return f"(The file {name} exists but is empty.)"
    if offset > number:
        raise ToolError(f"{name} has only {number} lines; offset {offset} is past its end.")
    last = offset + len(out) - 1
    if last < number:
        why = " (the output reached its size limit)" if full else ""
        out.append(f"... ({number - last} more lines{why}; use offset={last + 1} to read on)")
    return "\n".join(out)


def _count_lines(raw: BinaryIO) -> int:
    """How many lines are left in the file (a last line without a newline counts)."""
    count = 0
    last = b"\n"
    while chunk := raw.read(1 << 20):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


def _read_line(raw: BinaryIO) -> tuple[bytes, int] | None:
    """The next line's first LINE_BYTES and how many bytes of it were skipped; None at
    the end of the file."""
    head = raw.readline(LINE_BYTES)
    if not head:
        return None
    skipped = 0
    while not head.endswith(b"\n") and (rest := raw.readline(1 << 20)):
        skipped += len(rest) - rest.endswith(b"\n")
        if rest.endswith(b"\n"):
            break
    return head, skipped


def _shown(head: bytes, skipped: int) -> str:
    text = head.decode("utf-8", errors="replace").rstrip("\n")
    if len(text) <= MAX_LINE_CHARS and not skipped:
        return text
    if skipped:
        more = f"{len(text) - MAX_LINE_CHARS} more characters and {skipped:,} more bytes"
    else:
        more = f"{len(text) - MAX_LINE_CHARS} more characters"
    return f"{text[:MAX_LINE_CHARS]} ... [line cut: {more}]"

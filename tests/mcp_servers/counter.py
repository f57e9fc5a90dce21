"""A small stdio MCP server for the tests, on the mcp SDK: a counter kept in a file
(env COUNTER_FILE), so a test can tell how many times a call really ran.

Tools: `bump` (changes state: adds 1 after `seconds`; writes COUNTER_FILE.started
first), `count` (read-only: the value after `seconds`; notes each call in
COUNTER_FILE.reads), `add_tool` (registers a new read-only tool and tells the client its
tool list changed)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(read_only_hint=True)
server = MCPServer("counter")
counter = Path(os.environ["COUNTER_FILE"])


def _value() -> int:
    return int(counter.read_text()) if counter.exists() else 0


@server.tool(description="Add 1 to the counter after `seconds`; returns the new value.")
async def bump(seconds: float = 0) -> str:
    Path(f"{counter}.started").write_text("started")
    await asyncio.sleep(seconds)
    counter.write_text(str(_value() + 1))
    return f"counter is {_value()}"


@server.tool(description="The counter's value, read after `seconds`.", annotations=READ_ONLY)
async def count(seconds: float = 0) -> str:
    with Path(f"{counter}.reads").open("a") as reads:
        reads.write("read\n")
    await asyncio.sleep(seconds)
    return f"counter is {_value()}"


@server.tool(description="Register a new read-only tool named `name`.")
async def add_tool(name: str, ctx: Context) -> str:
    async def added() -> str:
        return f"{name} was added"

    server.add_tool(added, name=name, description=f"A tool added at run time ({name}).",
                    annotations=READ_ONLY)
    await ctx.notify_tools_changed()
    return f"added {name}"


if __name__ == "__main__":
    server.run("stdio")

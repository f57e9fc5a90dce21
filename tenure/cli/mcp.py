"""`tenure mcp list`: the MCP servers a worker offers, and their tools."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tenure.cli import _fail, app, out
from tenure.mcp import McpConfigError, McpHub, load_mcp_config
from tenure.models import McpServerInfo, McpServerSpec, McpToolSpec, WorkerPolicy

mcp_app = typer.Typer(help="MCP servers: what a worker offers its sessions.", no_args_is_help=True)
app.add_typer(mcp_app, name="mcp")


@mcp_app.command("list")
def list_servers(
    mcp_config: Annotated[Path | None, typer.Option(
        envvar="TENURE_MCP_CONFIG",
        help="The worker's .mcp.json (as `tenure worker --mcp-config` takes it).",
    )] = None,
    workspace: Annotated[Path, typer.Option(
        help="The directory stdio servers start in.",
    )] = Path("."),
) -> None:
    """Connect to each server of a worker's MCP config, as the worker would for a
    session, and list the server and its tools (`read` ones need no approval)."""
    if mcp_config is None:
        _fail("Name the worker's MCP config: --mcp-config FILE or TENURE_MCP_CONFIG.", code=2)
    try:
        servers = load_mcp_config(mcp_config)
    except McpConfigError as e:
        _fail(str(e), code=2)
    if not servers:
        out.print(f"{mcp_config} names no MCP servers.")
        return
    tools, infos = asyncio.run(_connect(servers, str(workspace.resolve())))
    by_name = {t.name: t for t in tools}
    for info in infos:
        _print_server(info, [by_name[n] for n in info.tools if n in by_name])
    if any(info.error for info in infos):
        raise typer.Exit(1)


async def _connect(
    servers: dict[str, McpServerSpec], workspace: str
) -> tuple[list[McpToolSpec], list[McpServerInfo]]:
    hub = McpHub(servers, WorkerPolicy())
    session = f"mcp-list-{uuid.uuid4().hex[:6]}"
    try:
        return await hub.prepare(session, {}, workspace)
    finally:
        await hub.aclose()


def _print_server(info: McpServerInfo, tools: list[McpToolSpec]) -> None:
    if info.error:
        out.print(Text.assemble((info.name, "bold"), f"  {info.transport}  ", ("failed", "red")))
        out.print(Text("  " + info.error.replace("\n", "\n  "), style="red"))
        return
    out.print(Text.assemble((info.name, "bold"), f"  {info.transport}  {len(tools)} tools"))
    for tool in tools:
        about = tool.description.strip().splitlines()[0][:80] if tool.description.strip() else ""
        out.print(Text.assemble("  ", (tool.name, "cyan"), f"  {tool.kind}  ", (about, "dim")))

"""`tenure mcp list`: the MCP servers a worker offers, and their tools; and the servers of
a workspace's `.mcp.json` for `tenure run` and `tenure chat`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import platformdirs
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


APPROVALS = "mcp-approvals.json"
"""Under the user data directory: the answer given for each workspace `.mcp.json` (by
path and content), so the person is asked once, and again when the file changes."""


def workspace_servers(workspace: Path, *, yes: bool) -> dict[str, McpServerSpec]:
    """The servers of `.mcp.json` at the workspace root, as Claude Code reads it: used
    once the person said so (asked once per file content on a terminal; `--yes` says yes),
    none otherwise."""
    path = workspace.resolve() / ".mcp.json"
    if not path.is_file():
        return {}
    try:
        servers = load_mcp_config(path)
    except McpConfigError as e:
        out.print(Text(f"Not using {path}: {e}", style="yellow"))
        return {}
    if not servers:
        return {}
    key = f"{path}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    answers = _answers()
    if key not in answers:
        if not yes and not sys.stdin.isatty():
            out.print(Text(f"{path} names MCP servers ({', '.join(servers)}); not using them "
                           "without asking (pass --mcp-config or --yes).", style="dim"))
            return {}
        answers[key] = yes or typer.confirm(
            f"{path} names MCP servers: {', '.join(servers)}. Use them in this session "
            "(their commands run on this machine)?", default=False,
        )
        _save_answers(answers)
    return servers if answers[key] else {}


def _answers() -> dict[str, bool]:
    try:
        raw = json.loads((Path(platformdirs.user_data_dir("tenure")) / APPROVALS).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, bool)} if isinstance(raw, dict) else {}


def _save_answers(answers: dict[str, bool]) -> None:
    path = Path(platformdirs.user_data_dir("tenure")) / APPROVALS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(answers, indent=2))

"""Record AgentSession histories with MCP servers and a tools-only host, for the replay
test (as record.py does for the rest): `python tests/histories/record_mcp.py
tests/histories/NAME`. Needs mcp-server-time (the dev extra); counter.py is in
tests/mcp_servers."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tenure import AgentClient, SessionConfig
from tenure.devserver import free_port, start_dev_server
from tenure.models import McpServerSpec
from tenure.workers import build_worker, connect

SERVERS = Path(__file__).parent.parent / "mcp_servers"
TIME = McpServerSpec(command=str(Path(sys.executable).parent / "mcp-server-time"))


def use(name: str, tool_input: dict[str, Any], n: int) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": tool_input}


async def until(handle: Any, test: Any) -> Any:
    while True:
        status = await handle.status()
        if test(status):
            return status
        await asyncio.sleep(0.05)


async def record(out: Path) -> None:
    work = Path(tempfile.mkdtemp())
    now = {"timezone": "UTC"}
    scripts = {
        "mcp-tools": [
            [use("mcp__time__get_current_time", now, 1)],
            [use("mcp__counter__bump", {}, 2)],
            [use("mcp__counter__add_tool", {"name": "extra"}, 3)],
            [use("mcp__counter__extra", {}, 4), use("mcp__broken__anything", {}, 5)],
            "First part done.",
            *[turn for k in range(6)
              for turn in ([use("mcp__counter__count", {}, 10 + k)], f"count {k}")],
        ],
        "tool-host": [[use("Bash", {"command": "echo hi"}, 1)], "Done on the host."],
    }
    models = {}
    for name, turns in scripts.items():
        path = work / f"{name}.json"
        path.write_text(json.dumps(turns))
        models[name] = f"scripted:{path}"
    servers = {
        "time": TIME,
        "counter": McpServerSpec(command=sys.executable, args=[str(SERVERS / "counter.py")],
                                 env={"COUNTER_FILE": str(work / "counter")}),
        "broken": McpServerSpec(command="/nonexistent/mcp-server"),
    }
    # Continue-as-new is suggested early, so that the MCP session crosses runs.
    server = start_dev_server(
        port=free_port(), ui_port=None, ephemeral=True,
        dynamic_config=["limit.historyCount.suggestContinueAsNew=120"],
    )
    try:
        client = await connect(server.address)
        async with build_worker(client, task_queue="record-mcp", mcp_servers=servers):
            agents = AgentClient(client, task_queue="record-mcp")
            tools = await agents.start(SessionConfig(
                model=models["mcp-tools"], prompt="use the tools", workspace=str(work),
                permissions={"allow": ["mcp__counter__add_tool"],
                             "deny": ["mcp__time__convert_time"]},
            ), session_id="replay-mcp-tools")
            status = await until(tools, lambda s: bool(s.pending_permissions))
            await tools.approve(status.pending_permissions[0].request_id)
            await until(tools, lambda s: s.state.kind == "idle" and s.turn == 5)
            for k in range(6):
                await tools.send(f"count {k}")
                await until(tools, lambda s, k=k: s.state.kind == "idle" and s.turn == 7 + 2 * k)
            await tools.end()
            await tools.result()

            host = await agents.start(SessionConfig(
                model=models["tool-host"], prompt="go", mode="autonomous", workspace=str(work),
                tool_queue="record-laptop", permission_mode="bypassPermissions",
            ), session_id="replay-tool-host")
            await until(host, lambda s: "offline" in (s.state.message or ""))
            async with build_worker(client, task_queue="record-laptop", tools_only=True):
                await host.result()

            out.mkdir(parents=True, exist_ok=True)
            await asyncio.sleep(2)  # visibility lists the last run a moment later
            for handle in (tools, host):
                runs = [r async for r in client.list_workflows(f"WorkflowId = '{handle.id}'")]
                for n, run in enumerate(reversed(runs), 1):
                    history = await client.get_workflow_handle(
                        handle.id, run_id=run.run_id).fetch_history()
                    name = handle.id if len(runs) == 1 else f"{handle.id}-run{n}"
                    (out / f"{name}.json").write_text(history.to_json())
                    print(f"recorded {name}: {len(history.events)} events")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))

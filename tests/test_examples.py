"""Every example works as its docstring or README says, against the test dev server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from commands import cli_env, tenure

from tenure.devserver import DevServer

EXAMPLES = Path(__file__).parent.parent / "examples"


async def test_custom_tool_example_answers_with_its_own_tool(
    dev_server: DevServer, task_queue: str
) -> None:
    """Its queue is its own: the fixture's worker (without the weather tool) serving the
    shared queue does not take its sessions."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "custom_tool.py"),
        env={**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "TENURE_TASK_QUEUE": task_queue},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "It is sunny and 21°C in Lisbon today."


async def test_hello_script_runs_as_the_readme_says(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    env["TENURE_TASK_QUEUE"] = f"{task_queue}-hello"  # served by run's own worker
    workspace = tmp_path / "ws"
    workspace.mkdir()
    result = await tenure(env, "run", "--model", f"scripted:{EXAMPLES / 'hello_script.json'}",
                          "--yes", "--workspace", str(workspace), "look around")
    assert result.code == 0, result
    assert "I listed the workspace; everything is in place." in result.stdout


def test_every_example_is_tested() -> None:
    tested = {"custom_tool.py", "weather_script.json", "hello_script.json"}
    assert {p.name for p in EXAMPLES.iterdir()} == tested

"""Every example works as its docstring or README says, against the test dev server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from commands import Result, cli_env, tenure

from tenure.devserver import DevServer

EXAMPLES = Path(__file__).parent.parent / "examples"


async def custom_tool(env: dict[str, str]) -> Result:
    """`python examples/custom_tool.py`, its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "custom_tool.py"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def test_custom_tool_example_answers_with_its_own_tool(
    dev_server: DevServer, task_queue: str
) -> None:
    """Its queue is its own: the fixture's worker (without the weather tool) serving the
    shared queue does not take its sessions. It ends cleanly every time: a process that
    left the interpreter's teardown to run after its worker stopped aborted about one
    run in six (PyGILState_Release), so several runs side by side show it."""
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "TENURE_TASK_QUEUE": task_queue}
    env.pop("MODEL", None)
    for result in await asyncio.gather(*(custom_tool(env) for _ in range(6))):
        assert result.code == 0, result
        # Its last line (the SDK's core may log a warning before it on a loaded machine).
        assert result.stdout.strip().splitlines()[-1] == "It is sunny and 21°C in Lisbon today."
        assert "Fatal Python error" not in result.stderr


async def test_custom_tool_example_fails_loudly(dev_server: DevServer, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-script.json"
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server.address, "MODEL": f"scripted:{missing}"}
    result = await custom_tool(env)
    assert result.code == 1, result
    assert result.stdout == ""
    assert f"The session failed: Model call failed: scripted provider: cannot read {missing}" \
        in result.stderr
    assert "Fatal Python error" not in result.stderr


async def test_hello_script_runs_as_the_readme_says(
    dev_server: DevServer, task_queue: str, tmp_path: Path
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    env["TENURE_TASK_QUEUE"] = f"{task_queue}-hello"  # served by run's own worker
    result = await tenure(env, "run", "--model", "scripted:examples/hello_script.json",
                          "--yes", "look around", cwd=EXAMPLES.parent)
    assert result.code == 0, result
    assert "● Bash · ls -la" in result.stdout
    assert "I listed the workspace; everything is in place." in result.stdout


def test_every_example_is_tested() -> None:
    tested = {"custom_tool.py", "weather_script.json", "hello_script.json"}
    assert {p.name for p in EXAMPLES.iterdir()} == tested

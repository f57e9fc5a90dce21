"""A newcomer's first commands: a relative `scripted:` path works wherever the worker
runs, a model string no provider serves is refused before a session exists, and the
terminal shows the session, not worker logs, tracebacks or warnings."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from commands import cli_env, tenure
from fake_anthropic import FakeAnthropic

from tenure.devserver import DevServer


@pytest.fixture
def env(dev_server: DevServer, task_queue: str, tmp_path: Path) -> dict[str, str]:
    return cli_env(dev_server, task_queue, tmp_path)


async def test_a_relative_script_path_is_read_where_the_command_ran(
    env: dict[str, str], tmp_path: Path
) -> None:
    here = tmp_path / "project"
    here.mkdir()
    (here / "script.json").write_text(json.dumps(["found it"]))
    # --no-worker: the fixture's worker, in another directory, reads the script.
    result = await tenure(env, "run", "--model", "scripted:script.json", "--no-worker",
                          "--workspace", str(here), "go", cwd=here)
    assert result.code == 0, result
    assert "found it" in result.stdout


@pytest.mark.parametrize("model", ["gpt-4o", "openai:gpt-4o", "anthropic:", "scripted:"])
async def test_a_model_no_provider_serves_is_refused_at_once(
    env: dict[str, str], model: str
) -> None:
    result = await tenure(env, "run", "--model", model, "--no-worker", "go")
    assert result.code == 2, result
    assert result.stderr.startswith("Invalid session: model: "), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


async def test_worker_logs_go_to_a_file_not_the_terminal(
    env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "bash.json"
    script.write_text(json.dumps([
        [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "echo hi"}}],
        "done",
    ]))
    result = await tenure(env, "run", "--model", f"scripted:{script}", "--yes",
                          "--workspace", str(tmp_path), "go")
    assert result.code == 0, result
    log = tmp_path / "user-data" / "tenure" / "logs" / "worker.log"
    assert f"Worker log: {log}" in result.stdout.replace("\n", "")
    assert log.exists()
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr, result.stderr


async def test_each_retry_is_one_line_on_the_terminal(
    env: dict[str, str], tmp_path: Path, fake: FakeAnthropic
) -> None:
    fake.add(
        FakeAnthropic.error(529, "overloaded_error", "Overloaded", {"retry-after": "0.5"}),
        FakeAnthropic.error(529, "overloaded_error", "Overloaded", {"retry-after": "0.5"}),
        FakeAnthropic.stream(["Made it."]),
    )
    env = {**env, "ANTHROPIC_BASE_URL": fake.base_url, "ANTHROPIC_API_KEY": "test-key",
           "TENURE_TASK_QUEUE": f"retries-{uuid.uuid4().hex[:8]}"}
    result = await tenure(env, "run", "--model", "claude-sonnet-4-6", "--workspace",
                          str(tmp_path), "hi")
    assert result.code == 0, result
    lines = [line for line in result.stdout.splitlines() if "retrying in" in line]
    assert len(lines) == 2, result.stdout
    assert "retrying in 0.5 s (attempt 2)" in lines[0] and "(attempt 3)" in lines[1]
    assert "Overloaded" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr

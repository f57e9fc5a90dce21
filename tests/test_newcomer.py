"""A newcomer's first commands: a relative `scripted:` path works wherever the worker
runs, a model string no provider serves is refused before a session exists, and the
terminal shows the session, not worker logs, tracebacks or warnings."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from pathlib import Path

import pytest
from commands import cli_env, tenure
from fake_anthropic import DEPRECATED_END, DEPRECATED_MODEL, FakeAnthropic
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.devserver import DevServer


def on_fake(env: dict[str, str], fake: FakeAnthropic, **credential: str) -> dict[str, str]:
    """The CLI's environment for a run against the fake Messages API, on a task queue of
    its own (served only by the run's in-process worker, which sees the fake)."""
    return {**env, "ANTHROPIC_BASE_URL": fake.base_url, **credential,
            "TENURE_TASK_QUEUE": f"fake-{uuid.uuid4().hex[:8]}"}


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


@pytest.mark.parametrize("model", ["gpt-4o", "gemini:pro", "anthropic:", "openai:", "scripted:"])
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
    env = on_fake(env, fake, ANTHROPIC_API_KEY="test-key")
    result = await tenure(env, "run", "--model", "claude-sonnet-4-6", "--workspace",
                          str(tmp_path), "hi")
    assert result.code == 0, result
    lines = [line for line in result.stdout.splitlines() if "retrying in" in line]
    assert len(lines) == 2, result.stdout
    assert "retrying in 0.5 s (attempt 2)" in lines[0] and "(attempt 3)" in lines[1]
    assert "Overloaded" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


async def test_a_worker_without_the_key_leaves_the_call_to_one_with_it(
    env: dict[str, str], tmp_path: Path, fake: FakeAnthropic
) -> None:
    """`tenure dev` or `tenure worker` started without ANTHROPIC_API_KEY fails a Claude
    model call as retryable: the session waits for a worker with the key, it does not
    end. That worker's console shows the failure as one line; its log file, in full."""
    fake.add(FakeAnthropic.stream(["Made it."]))
    env = {**env, "TENURE_TASK_QUEUE": f"keys-{uuid.uuid4().hex[:8]}"}
    env.pop("ANTHROPIC_API_KEY", None)
    keyless = await spawn(env, "worker")
    run = await spawn(env, "run", "--no-worker", "--model", "claude-sonnet-4-6",
                      "--workspace", str(tmp_path), "hi")
    try:
        retry = await line_with(run.stdout, "retrying in")
        assert "ANTHROPIC_API_KEY is not set on worker " in retry, retry
        keyless.send_signal(signal.SIGINT)
        _, console = await asyncio.wait_for(keyless.communicate(), 30)
        keyed = await spawn({**env, "ANTHROPIC_API_KEY": "test-key",
                             "ANTHROPIC_BASE_URL": fake.base_url}, "worker")
        try:
            out, _ = await asyncio.wait_for(run.communicate(), 60)
        finally:
            keyed.send_signal(signal.SIGINT)
            await keyed.wait()
    finally:
        for process in (keyless, run):
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert run.returncode == 0 and b"Made it." in out, out
    failures = [line for line in console.decode().splitlines() if "not set on worker" in line]
    assert failures and "Traceback" not in console.decode(), console.decode()
    assert "workflow_run_id" not in console.decode()  # the session and activity, in short
    assert " model_call: " in failures[0]
    log = tmp_path / "user-data" / "tenure" / "logs" / "worker.log"
    assert "Traceback" in log.read_text()


async def spawn(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tenure.cli", *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def line_with(stream: asyncio.StreamReader | None, text: str) -> str:
    """The first line of `stream` that holds `text` (30 s at most)."""
    assert stream is not None
    while True:
        line = (await asyncio.wait_for(stream.readline(), 30)).decode()
        assert line, f"no line with {text!r}"
        if text in line:
            return line


async def test_a_deprecated_model_is_named_once_at_the_start(
    env: dict[str, str], tmp_path: Path, fake: FakeAnthropic
) -> None:
    fake.add(FakeAnthropic.stream(["Still here."]))
    env = on_fake(env, fake, ANTHROPIC_API_KEY="test-key")
    result = await tenure(env, "run", "--model", DEPRECATED_MODEL, "--workspace",
                          str(tmp_path), "hi")
    assert result.code == 0, result
    assert result.stderr.splitlines() == [
        f"The model {DEPRECATED_MODEL} is deprecated: its end of life is {DEPRECATED_END}."
    ]


async def test_another_sessions_failure_stays_out_of_a_run(
    env: dict[str, str], tmp_path: Path, temporal_client: Client
) -> None:
    """The worker of a `tenure run` serves the whole task queue: what it logs about
    other sessions goes to its log file, not to this terminal."""
    queue = f"others-{uuid.uuid4().hex[:8]}"
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps([{"content": [{"type": "text", "text": "mine"}],
                                 "delay_ms": 3000}]))
    run = await spawn({**env, "TENURE_TASK_QUEUE": queue}, "run", "--model",
                      f"scripted:{slow}", "--workspace", str(tmp_path), "go")
    try:
        await line_with(run.stdout, "session-")  # its worker is up
        other = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=f"scripted:{tmp_path / 'missing.json'}", prompt="fail", mode="autonomous",
            workspace=str(tmp_path),
        ))
        assert (await other.result()).stop_reason == "error"
        out, err = await asyncio.wait_for(run.communicate(), 30)
    finally:
        if run.returncode is None:
            run.kill()
            await run.wait()
    assert run.returncode == 0 and b"mine" in out
    assert b"missing.json" not in out + err and b"Traceback" not in out + err, out + err
    log = tmp_path / "user-data" / "tenure" / "logs" / "worker.log"
    assert "missing.json" in log.read_text()


async def test_an_auth_token_is_a_key_too(
    env: dict[str, str], tmp_path: Path, fake: FakeAnthropic
) -> None:
    """`tenure dev` counts ANTHROPIC_AUTH_TOKEN as a key; so does `tenure run`."""
    fake.add(FakeAnthropic.stream(["Token taken."]))
    env = on_fake(env, fake, ANTHROPIC_AUTH_TOKEN="token")
    env.pop("ANTHROPIC_API_KEY", None)
    result = await tenure(env, "run", "--model", "claude-sonnet-4-6", "--workspace",
                          str(tmp_path), "hi")
    assert result.code == 0, result
    assert "Token taken." in result.stdout
    assert fake.requests[0].headers["authorization"] == "Bearer token"

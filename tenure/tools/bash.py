"""Bash: run a shell command in the workspace, in its own process group."""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.environment import agent_environment
from tenure.tools.reaper import reaper

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
MAX_OUTPUT_CHARS = 30_000
KILL_GRACE_S = 2.0
"""How long a process group has between SIGTERM and SIGKILL."""
LONG_OUTPUT_HINT = "redirect it to a file (cmd > out.log 2>&1) and Read or Grep that file"
"""How to get the rest of a command's output that was cut."""
DRAIN_GRACE_S = 0.5
"""How long to wait for the output pipes to close once bash has exited."""


class BashInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(description="The command to run with `bash -c`.")
    timeout: int | SkipJsonSchema[None] = Field(
        default=None,
        ge=1,
        le=MAX_TIMEOUT_MS,
        description=f"Timeout in milliseconds (default {DEFAULT_TIMEOUT_MS}, "
        f"max {MAX_TIMEOUT_MS}).",
    )
    timeout_ms: SkipJsonSchema[int | None] = Field(default=None, ge=1, le=MAX_TIMEOUT_MS)
    """`timeout` under its older tenure name, still accepted (not offered to the model)."""
    description: str | None = Field(
        default=None,
        description="What the command does, in 5-10 words, e.g. 'Run the unit tests'.",
    )
    run_in_background: bool = Field(
        default=False,
        description="Start the command in the background and return at once with a job id; "
        "read its output with BashOutput and stop it with KillShell.",
    )


    @property
    def timeout_after_ms(self) -> int:
        return self.timeout or self.timeout_ms or DEFAULT_TIMEOUT_MS


class BashTool:
    name = "Bash"
    kind: ToolKind = "execute"
    input_model: type[BaseModel] = BashInput
    description = (
        "Runs a bash command in the session's workspace and returns its output.\n\n"
        "Usage:\n"
        "- Each call is a fresh `bash -c` in the workspace directory: shell state (cd, variables) "
        "does not carry over between calls. stdin is empty, so interactive commands will not "
        "work; pass flags such as -y instead.\n"
        f"- Times out after {DEFAULT_TIMEOUT_MS // 1000} s by default; set timeout (up to "
        f"{MAX_TIMEOUT_MS} ms) for longer work. On timeout the command and everything it started "
        "are killed.\n"
        "- The result shows stdout, then stderr after a [stderr] line, then the exit code. Each "
        f"is cut to {MAX_OUTPUT_CHARS} characters; redirect long output to a file and Read or "
        "Grep it instead.\n"
        "- A non-zero exit code is reported, not raised: read the output to see what failed.\n"
        "- Quote paths that contain spaces. Chain dependent commands with &&; use ; only when "
        "later commands should run even if earlier ones fail.\n"
        "- Prefer Read, Glob, Grep, Edit and Write over cat, find, grep, sed and echo >.\n"
        "- For servers, watchers and long builds, set run_in_background: the call returns at "
        "once with a job id (bash_N); read the job's new output with BashOutput and stop it with "
        "KillShell. timeout does not apply to background jobs; they run until they exit, are "
        "killed, or the session ends. Do not use `&` for this.\n"
        "- A background process started with `cmd &` must redirect its output "
        "(`> log 2>&1 &`); otherwise it is cut off from the output when the command returns."
    )

    async def execute(self, input: BashInput, ctx: ToolContext) -> str:
        if input.run_in_background:
            # Imported here: bash_jobs builds on this module's process helpers.
            from tenure.tools.bash_jobs import background_jobs

            return await background_jobs.start(input.command, ctx)
        out, err = _Capture(), _Capture()
        proc, out_r, err_r = await start_bash(input.command, ctx)
        readers = [
            asyncio.create_task(drain_pipe(out_r, out)),
            asyncio.create_task(drain_pipe(err_r, err)),
        ]
        timed_out = False
        try:
            try:
                await asyncio.wait_for(proc.wait(), input.timeout_after_ms / 1000)
            except TimeoutError:
                timed_out = True
                await kill_group(proc)
            _, pending = await asyncio.wait(readers, timeout=DRAIN_GRACE_S)
        except asyncio.CancelledError:
            if proc.returncode is None:
                await kill_group(proc)
            raise
        finally:
            for reader in readers:
                reader.cancel()
            release_if_gone(proc.pid)

        text = format_output(out.text(), err.text())
        if pending:
            text += "\n[a background process still held the output open; stopped reading it]"
        if timed_out:
            raise ToolError(
                f"{text}\n[timed out after {input.timeout_after_ms} ms; the command and its child "
                "processes were killed]"
            )
        code = proc.returncode
        assert code is not None
        if code < 0:
            return f"{text}\n[killed by signal {signal.Signals(-code).name}]"
        return f"{text}\n[exit code {code}{'' if code == 0 else ': the command failed'}]"


async def start_bash(
    command: str, ctx: ToolContext
) -> tuple[asyncio.subprocess.Process, int, int]:
    """Start `bash -c command` in the workspace, in its own process group (which the
    reaper kills if this worker dies first), with stdin from /dev/null. Returns the process
    and the read ends of its stdout and stderr pipes.

    The command starts only once the reaper knows its group: a gate shell waits for a
    byte from this worker, then becomes `bash -c command` (the same process), so a worker
    killed in between leaves nothing running."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    go_r, go_w = os.pipe()
    gate = f'IFS= read -r -n1 _ <&{go_r} || exit 97; exec {go_r}<&-; exec bash -c "$1"'
    try:
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            gate,
            "bash",
            command,
            cwd=ctx.workspace,
            env=agent_environment(ctx.env_passthrough),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            start_new_session=True,
            pass_fds=(go_r,),
        )
    except OSError as e:
        os.close(out_r)
        os.close(err_r)
        os.close(go_w)
        raise ToolError(f"Could not start bash: {e}") from None
    finally:
        os.close(out_w)
        os.close(err_w)
        os.close(go_r)
    reaper.watch(proc.pid)
    os.write(go_w, b"g")
    os.close(go_w)
    return proc, out_r, err_r


class OutputSink(Protocol):
    def feed(self, data: bytes, final: bool = False) -> None:
        """Take the next bytes of the stream; `final` once it has closed."""
        ...


class _Capture:
    """Decodes a byte stream as UTF-8, keeping the first MAX_OUTPUT_CHARS and counting the rest."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._kept: list[str] = []
        self._kept_chars = 0
        self._total = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        chunk = self._decoder.decode(data, final)
        self._total += len(chunk)
        room = MAX_OUTPUT_CHARS - self._kept_chars
        if room > 0 and chunk:
            self._kept.append(chunk[:room])
            self._kept_chars += min(room, len(chunk))

    def text(self) -> str:
        kept = "".join(self._kept)
        if self._total > self._kept_chars:
            kept += (
                f"\n... [output cut: {self._total - self._kept_chars} more characters; "
                f"{LONG_OUTPUT_HINT}]"
            )
        return kept


async def drain_pipe(fd: int, sink: OutputSink) -> None:
    """Read a pipe into sink until it closes; cancelling closes the pipe."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), open(fd, "rb", buffering=0)
    )
    try:
        while chunk := await reader.read(65536):
            sink.feed(chunk)
        sink.feed(b"", final=True)
    finally:
        transport.close()


async def kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the process's whole group; SIGKILL whatever is left after a grace period."""
    signal_group(proc.pid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KILL_GRACE_S
    try:
        while loop.time() < deadline and signal_group(proc.pid, 0):
            await asyncio.sleep(0.02)
    finally:
        signal_group(proc.pid, signal.SIGKILL)
        reaper.release(proc.pid)
    await proc.wait()


def release_if_gone(pgid: int) -> None:
    """Take a command's group off the reaper's list once nothing in it runs (a group left
    behind by a command, such as `server &`, stays listed until the worker goes)."""
    if not signal_group(pgid, 0):
        reaper.release(pgid)


def signal_group(pgid: int, sig: int) -> bool:
    """Send sig to the process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def format_output(stdout: str, stderr: str, empty: str = "(no output)") -> str:
    """stdout, then stderr after a [stderr] line; `empty` when there is neither."""
    parts = [stdout.rstrip("\n")] if stdout else []
    if stderr:
        parts.append("[stderr]\n" + stderr.rstrip("\n"))
    return "\n".join(parts) if parts else empty

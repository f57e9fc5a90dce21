"""Background Bash jobs: the commands started with run_in_background, kept per worker process
until they are killed or their session ends."""

from __future__ import annotations

import asyncio
import codecs
import itertools
import re
import signal
from collections import deque
from dataclasses import dataclass

from tenure.tools.base import ToolContext, ToolError
from tenure.tools.bash import (
    DRAIN_GRACE_S,
    LONG_OUTPUT_HINT,
    MAX_OUTPUT_CHARS,
    drain_pipe,
    format_output,
    kill_group,
    release_if_gone,
    signal_group,
    start_bash,
)

MAX_KEPT_CHARS = 1_000_000
"""How much of each stream (stdout, stderr) a job keeps; older output is dropped."""


class OutputTail:
    """A job's stream, decoded as UTF-8: keeps the last MAX_KEPT_CHARS characters and
    remembers how far it has been read."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chunks: deque[str] = deque()
        self._kept = 0
        self._start = 0
        """Position in the whole stream of the first kept character."""
        self._read = 0
        """Position in the whole stream up to which it has been read."""
        self.closed = False

    def feed(self, data: bytes, final: bool = False) -> None:
        chunk = self._decoder.decode(data, final)
        self.closed = final
        if not chunk:
            return
        self._chunks.append(chunk)
        self._kept += len(chunk)
        while self._kept > MAX_KEPT_CHARS:
            excess = self._kept - MAX_KEPT_CHARS
            first = self._chunks[0]
            if len(first) <= excess:
                self._chunks.popleft()
                dropped = len(first)
            else:
                self._chunks[0] = first[excess:]
                dropped = excess
            self._kept -= dropped
            self._start += dropped

    def take(self, whole_lines: bool = False) -> tuple[str, int]:
        """The output not read yet (up to its last newline if whole_lines), and how many unread
        characters were dropped before it."""
        dropped = max(0, self._start - self._read)
        text = "".join(self._chunks)[max(0, self._read - self._start) :]
        if whole_lines:
            text = text[: text.rfind("\n") + 1]
        self._read = max(self._read, self._start) + len(text)
        return text, dropped


@dataclass
class BackgroundJob:
    id: str
    session_id: str
    command: str
    process: asyncio.subprocess.Process
    stdout: OutputTail
    stderr: OutputTail
    readers: list[asyncio.Task[None]]
    killed: bool = False
    """Whether KillShell (or the end of the session) killed it."""
    group_killed: bool = False
    """Whether its process group got SIGKILL: nothing in it can still run (though zombies of
    its orphans may linger until PID 1 reaps them)."""

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def status(self) -> str:
        code = self.process.returncode
        if code is None:
            return "running"
        if self.killed:
            return "killed"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def has_live_processes(self) -> bool:
        """Whether bash, or anything left in its process group, is still alive."""
        return self.running or (not self.group_killed and signal_group(self.process.pid, 0))

    async def kill(self) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after a grace period."""
        self.killed = self.killed or self.running
        await kill_group(self.process)
        self.group_killed = True
        await asyncio.wait(self.readers, timeout=DRAIN_GRACE_S)

    async def read(self, pattern: re.Pattern[str] | None) -> str:
        """The output since the last read (only the lines matching pattern, if given) and the
        job's status."""
        if not self.running:
            # Let the readers take in what the process wrote before it exited.
            await asyncio.wait(self.readers, timeout=DRAIN_GRACE_S)
        stdout = _new_output(self.stdout, pattern)
        stderr = _new_output(self.stderr, pattern)
        text = format_output(stdout, stderr, empty="(no new output)")
        return f"{text}\n[{self.id}: {self.status()}]"

    def forget(self) -> None:
        for reader in self.readers:
            reader.cancel()
        if not self.group_killed:
            release_if_gone(self.process.pid)


def _new_output(tail: OutputTail, pattern: re.Pattern[str] | None) -> str:
    # While filtering, an unfinished last line waits for the rest of it.
    text, dropped = tail.take(whole_lines=pattern is not None and not tail.closed)
    if pattern is not None:
        text = "".join(line for line in text.splitlines(True) if pattern.search(line))
    notes = []
    if dropped:
        notes.append(
            f"[{dropped} characters of output were dropped before this read: a job keeps only "
            f"its last {MAX_KEPT_CHARS}; to keep everything, {LONG_OUTPUT_HINT}]"
        )
    if len(text) > MAX_OUTPUT_CHARS:
        notes.append(
            f"[{len(text) - MAX_OUTPUT_CHARS} earlier characters of this read not shown; read "
            f"more often, use filter, or {LONG_OUTPUT_HINT}]"
        )
        text = text[-MAX_OUTPUT_CHARS:]
    return "\n".join([*notes, text] if text else notes)


class BackgroundJobs:
    """The background jobs of this worker process, by id (bash_1, bash_2, ...)."""

    def __init__(self) -> None:
        self._jobs: dict[str, BackgroundJob] = {}
        self._ids = itertools.count(1)

    async def start(self, command: str, ctx: ToolContext) -> str:
        """Start command as a background job of ctx's session; returns how to follow it."""
        proc, out_r, err_r = await start_bash(command, ctx)
        stdout, stderr = OutputTail(), OutputTail()
        job = BackgroundJob(
            id=f"bash_{next(self._ids)}",
            session_id=ctx.session_id,
            command=command,
            process=proc,
            stdout=stdout,
            stderr=stderr,
            readers=[
                asyncio.create_task(drain_pipe(out_r, stdout)),
                asyncio.create_task(drain_pipe(err_r, stderr)),
            ],
        )
        self._jobs[job.id] = job
        return (
            f"Started in the background as {job.id} (pid {proc.pid}). Read its new output with "
            f'BashOutput {{"bash_id": "{job.id}"}}; stop it with KillShell '
            f'{{"shell_id": "{job.id}"}}.'
        )

    def get(self, job_id: str, session_id: str) -> BackgroundJob:
        """The session's job with that id; ToolError if there is none."""
        job = self._jobs.get(job_id)
        if job is None:
            raise ToolError(
                f"No background job {job_id!r} on this worker. Ids are the bash_N that Bash "
                "returns with run_in_background; jobs end with their session or a worker restart."
            )
        if job.session_id != session_id:
            raise ToolError(
                f"Background job {job_id!r} belongs to another session; you can only read or "
                "kill the jobs your own session started."
            )
        return job

    async def kill_session(self, session_id: str) -> int:
        """Kill and forget every job of the session; returns how many were still alive."""
        jobs = [job for job in self._jobs.values() if job.session_id == session_id]
        alive = [job for job in jobs if job.has_live_processes()]
        try:
            await asyncio.gather(*(job.kill() for job in alive))
        finally:
            for job in jobs:
                job.forget()
                self._jobs.pop(job.id, None)
        return len(alive)


background_jobs = BackgroundJobs()
"""The jobs of this worker process."""


async def kill_session_jobs(session_id: str) -> int:
    """Kill every background job of the session (when it ends); returns how many were alive."""
    return await background_jobs.kill_session(session_id)

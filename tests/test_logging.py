"""`python -m tenure.workers` (the worker of docker-compose and the Dockerfile) logs as
`tenure worker` does: one line per record on the console, tracebacks in the log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_worker_that_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:1", "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "tenure.workers"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    log = tmp_path / "tenure" / "logs" / "worker.log"
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"info tenure: Full log, tracebacks included: {log}")
    assert len(lines) == 2 and "The worker stopped (RuntimeError: " in lines[1], lines
    assert "Traceback" in log.read_text()

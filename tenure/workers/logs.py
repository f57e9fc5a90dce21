"""Where a worker's log goes: always to a rotating file under the user data directory,
with full tracebacks; for `tenure dev` and `tenure worker`, also to the console, one
line per record. A person following a session with `tenure run` or `tenure chat` sees
the session, never a worker's tracebacks or another session's failures."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"


def log_file() -> Path:
    return Path(platformdirs.user_data_dir("tenure")) / "logs" / "worker.log"


class OneLine(logging.Formatter):
    """A log record as one line: an exception as its type and message, no traceback; for
    a record from inside a workflow or an activity, which one (the session id and the
    activity or workflow type) in place of the details Temporal appends to the message."""

    def format(self, record: logging.LogRecord) -> str:
        message, source = record.getMessage(), record.name
        context = getattr(record, "temporal_activity", None) or getattr(
            record, "temporal_workflow", None
        )
        if isinstance(context, dict):
            message = message.removesuffix(f" ({context})")
            kind = context.get("activity_type") or context.get("workflow_type")
            source = f"{context.get('workflow_id')} {kind}"
        when = self.formatTime(record, "%H:%M:%S")
        line = f"{when} {record.levelname.lower()} {source}: {message}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {error})"
        return line.replace("\n", " ")


def log_to_file(*, console: bool = False) -> Path:
    """Send this process's logs to the worker log file (its path is returned), and with
    `console` one line per record to stderr as well. Call it before the first Temporal
    client is made: the SDK's core (Rust) logs to stderr unless told, at that point, to
    hand its records to Python."""
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=2)
    to_file.setFormatter(logging.Formatter(FILE_FORMAT))
    handlers: list[logging.Handler] = [to_file]
    if console:
        to_console = logging.StreamHandler()
        to_console.setFormatter(OneLine())
        handlers.append(to_console)
    root = logging.getLogger()
    root.handlers = handlers
    root.setLevel(logging.INFO)
    core = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=core)),
                        error_if_already_set=False)
    return path

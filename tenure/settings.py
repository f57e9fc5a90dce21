"""Where tenure finds Temporal: environment variables with their documented defaults."""

from __future__ import annotations

import os


def temporal_address() -> str:
    return os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")


def temporal_namespace() -> str:
    return os.environ.get("TEMPORAL_NAMESPACE", "default")


def task_queue() -> str:
    return os.environ.get("TENURE_TASK_QUEUE", "tenure")

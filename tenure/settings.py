"""Where tenure finds Temporal, and what it uses by default: environment variables with
their documented defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import platformdirs
from pydantic import TypeAdapter, ValidationError

from temporalio.common import WorkerDeploymentVersion

from tenure.models.catalog import Prices
from tenure.models.validation import validation_problems


def temporal_address() -> str:
    return os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")


def temporal_namespace() -> str:
    return os.environ.get("TEMPORAL_NAMESPACE", "default")


DEFAULT_MODEL = "claude-sonnet-5-5"
"""The model of `tenure run` and `tenure chat` unless TENURE_MODEL or --model names one:
the newest Sonnet that the anthropic SDK lists, none of its deprecated ones."""


def task_queue() -> str:
    return os.environ.get("TENURE_TASK_QUEUE", "tenure")


def host_timeout() -> timedelta:
    """How long a session waits for its host worker to take a tool call before it moves
    to another worker (env TENURE_HOST_TIMEOUT, seconds)."""
    return timedelta(seconds=float(os.environ.get("TENURE_HOST_TIMEOUT", "10")))


def deployment_version() -> WorkerDeploymentVersion | None:
    """The Worker Deployment version a worker serves, from TENURE_DEPLOYMENT_NAME and
    TENURE_BUILD_ID (both, or neither: no Worker Versioning)."""
    name = os.environ.get("TENURE_DEPLOYMENT_NAME")
    build = os.environ.get("TENURE_BUILD_ID")
    if not name and not build:
        return None
    if not (name and build):
        raise ValueError("Set both TENURE_DEPLOYMENT_NAME and TENURE_BUILD_ID, or neither")
    return WorkerDeploymentVersion(deployment_name=name, build_id=build)


def payload_dir() -> Path:
    """Where the files payload store keeps large payloads (env TENURE_PAYLOAD_DIR)."""
    configured = os.environ.get("TENURE_PAYLOAD_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("tenure")) / "payloads"


def price_overrides() -> dict[str, Prices]:
    """Prices from the JSON file that TENURE_PRICES names, over tenure.models.catalog's
    (read again when the file changes); ValueError says what is wrong with it."""
    path = os.environ.get("TENURE_PRICES")
    if not path:
        return {}
    try:
        stamp = Path(path).stat().st_mtime_ns
        if _prices_read.get(path, (None, {}))[0] != stamp:
            loaded = _PRICE_TABLE.validate_json(Path(path).read_bytes())
            _prices_read[path] = (stamp, loaded)
    except OSError as e:
        raise ValueError(f"TENURE_PRICES={path}: {e}") from e
    except ValidationError as e:
        raise ValueError(f"TENURE_PRICES={path}: {validation_problems(e)}") from e
    return _prices_read[path][1]


_PRICE_TABLE: TypeAdapter[dict[str, Prices]] = TypeAdapter(dict[str, Prices])
_prices_read: dict[str, tuple[int | None, dict[str, Prices]]] = {}

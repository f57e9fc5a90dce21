"""The environment of the commands the agent runs (Bash, background jobs, command hooks,
MCP stdio servers): the worker's own, without its secrets. A secret in the agent's shell
is one `printenv` away from the transcript, the event stream and the model provider."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

SECRET_ENDINGS = ("_API_KEY", "_TOKEN", "_SECRET", "_ACCESS_KEY", "_PRIVATE_KEY")
SECRET_PARTS = ("PASSWORD", "CREDENTIALS", "SECRET")


def is_secret(name: str) -> bool:
    """`*_API_KEY`, `*_TOKEN`, `*_SECRET` (and `*_ACCESS_KEY`, `*_PRIVATE_KEY`; the bare
    `API_KEY` and `TOKEN` too), or any name containing PASSWORD, CREDENTIALS or SECRET;
    case does not matter."""
    upper = name.upper()
    return f"_{upper}".endswith(SECRET_ENDINGS) or any(part in upper for part in SECRET_PARTS)


def agent_environment(
    passthrough: Iterable[str] = (), base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (the worker's environment) without its secrets, except the names the
    worker policy passes through (`WorkerPolicy.env_passthrough`)."""
    keep = {name.upper() for name in passthrough}
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not is_secret(k) or k.upper() in keep}

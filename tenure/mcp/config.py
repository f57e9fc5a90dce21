"""Reading `.mcp.json` files and expanding `${VAR}` in server entries, as Claude Code does."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from tenure.models import McpConfigFile, McpServerSpec
from tenure.models.validation import validation_problems

CONFIG_ENV = "TENURE_MCP_CONFIG"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class McpConfigError(ValueError):
    """A `.mcp.json` that cannot be read or does not fit."""


def load_mcp_config(path: str | Path) -> dict[str, McpServerSpec]:
    """The servers of a `.mcp.json` file (`{"mcpServers": {...}}`)."""
    try:
        raw = json.loads(Path(path).expanduser().read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise McpConfigError(f"Cannot read MCP config {path}: {e}") from e
    try:
        return McpConfigFile.model_validate(raw).mcpServers
    except ValidationError as e:
        raise McpConfigError(f"MCP config {path} does not fit: {validation_problems(e)}") from e


def worker_mcp_config() -> dict[str, McpServerSpec]:
    """The worker's own servers: those of the file env TENURE_MCP_CONFIG names, or none."""
    path = os.environ.get(CONFIG_ENV)
    return load_mcp_config(path) if path else {}


def expand(value: str, environ: Mapping[str, str]) -> str:
    """`${VAR}` → its value (empty when unset), `${VAR:-default}` → the value or default."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if found:
            return found
        return default if default is not None else ""

    return _VARIABLE.sub(one, value)


def expanded(spec: McpServerSpec, environ: Mapping[str, str]) -> McpServerSpec:
    """The entry with `${VAR}` expanded in command, args, env, url and headers."""
    return spec.model_copy(
        update={
            "command": expand(spec.command, environ) if spec.command else spec.command,
            "args": [expand(a, environ) for a in spec.args],
            "env": {k: expand(v, environ) for k, v in spec.env.items()},
            "url": expand(spec.url, environ) if spec.url else spec.url,
            "headers": {k: expand(v, environ) for k, v in spec.headers.items()},
        }
    )

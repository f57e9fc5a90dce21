"""MCP tool names as the model sees them: `mcp__SERVER__TOOL`."""

from __future__ import annotations

import re

from tenure.models.mcp import MCP_PREFIX as PREFIX

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_NAME = 128
"""The longest tool name the providers accept."""


def safe(name: str) -> str:
    """A server or tool name with the characters tool names may not hold replaced by `_`."""
    return _UNSAFE.sub("_", name)


def tool_name(server: str, tool: str) -> str:
    return f"{PREFIX}{safe(server)}__{safe(tool)}"[:MAX_NAME]


def is_mcp(name: str) -> bool:
    return name.startswith(PREFIX)


def server_of(name: str) -> str | None:
    """The (safe) server part of `mcp__SERVER__TOOL`, or None for another name."""
    if not is_mcp(name):
        return None
    server, sep, _ = name[len(PREFIX):].partition("__")
    return server if sep else None

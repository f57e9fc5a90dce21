"""MCP: connections held on the session's host worker, MCP tools as the model's tools."""

from tenure.mcp.config import McpConfigError, expand, load_mcp_config, worker_mcp_config
from tenure.mcp.hub import McpHub, McpProgress, McpTool
from tenure.mcp.names import is_mcp

__all__ = [
    "McpConfigError",
    "McpHub",
    "McpProgress",
    "McpTool",
    "expand",
    "is_mcp",
    "load_mcp_config",
    "worker_mcp_config",
]

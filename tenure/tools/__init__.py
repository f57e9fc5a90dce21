"""Tools: the protocol, and the six built-ins (Read, Write, Edit, Bash, Glob, Grep)."""

from tenure.tools.base import (
    FunctionTool,
    Tool,
    ToolContext,
    ToolError,
    ToolRegistry,
    input_schema,
    tool,
)
from tenure.tools.bash import BashTool
from tenure.tools.edit import EditTool
from tenure.tools.glob import GlobTool
from tenure.tools.grep import GrepTool
from tenure.tools.read import ReadTool
from tenure.tools.write import WriteTool


def builtin_tools() -> list[Tool]:
    """One instance of each built-in tool."""
    return [ReadTool(), WriteTool(), EditTool(), BashTool(), GlobTool(), GrepTool()]


__all__ = [
    "BashTool",
    "EditTool",
    "FunctionTool",
    "GlobTool",
    "GrepTool",
    "ReadTool",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "WriteTool",
    "builtin_tools",
    "input_schema",
    "tool",
]

"""Tools: the protocol and the built-ins (Read, Write, Edit, Bash, Glob, Grep, TodoWrite,
AskUserQuestion, PresentFile)."""

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
from tenure.tools.present_file import PresentFileTool
from tenure.tools.read import ReadTool
from tenure.tools.session_tools import AskUserQuestionTool, TodoWriteTool
from tenure.tools.write import WriteTool


def builtin_tools() -> list[Tool]:
    """One instance of each built-in tool."""
    return [
        ReadTool(),
        WriteTool(),
        EditTool(),
        BashTool(),
        GlobTool(),
        GrepTool(),
        TodoWriteTool(),
        AskUserQuestionTool(),
        PresentFileTool(),
    ]


__all__ = [
    "AskUserQuestionTool",
    "BashTool",
    "EditTool",
    "FunctionTool",
    "GlobTool",
    "GrepTool",
    "PresentFileTool",
    "ReadTool",
    "TodoWriteTool",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "WriteTool",
    "builtin_tools",
    "input_schema",
    "tool",
]

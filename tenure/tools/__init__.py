"""Tools: the protocol and the built-ins (Read, Write, Edit, Bash, Glob, Grep, BashOutput,
KillShell, WebFetch, TodoWrite, AskUserQuestion, PresentFile, Agent)."""

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
from tenure.tools.bash_output import BashOutputTool
from tenure.tools.edit import EditTool
from tenure.tools.glob import GlobTool
from tenure.tools.grep import GrepTool
from tenure.tools.kill_shell import KillShellTool
from tenure.tools.present_file import PresentFileTool
from tenure.tools.read import ReadTool
from tenure.tools.session_tools import AgentTool, AskUserQuestionTool, TodoWriteTool
from tenure.tools.web_fetch import WebFetchTool
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
        BashOutputTool(),
        KillShellTool(),
        WebFetchTool(),
        TodoWriteTool(),
        AskUserQuestionTool(),
        PresentFileTool(),
        AgentTool(),
    ]


__all__ = [
    "AgentTool",
    "AskUserQuestionTool",
    "BashOutputTool",
    "BashTool",
    "EditTool",
    "FunctionTool",
    "GlobTool",
    "GrepTool",
    "KillShellTool",
    "PresentFileTool",
    "ReadTool",
    "TodoWriteTool",
    "WebFetchTool",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "WriteTool",
    "builtin_tools",
    "input_schema",
    "tool",
]

"""Checking a tool call's input against the tool's schema, before a person is asked to
approve it (no one should approve a call that cannot run) and again before it runs."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio import activity

from tenure.mcp import McpHub, is_mcp
from tenure.models import MALFORMED_INPUT_KEY, ToolRequest
from tenure.models.validation import validation_problems
from tenure.tools import Tool, ToolRegistry


def input_problem(tool: Tool, tool_input: dict[str, object]) -> str | None:
    """What is wrong with the input, as the model should read it; None when it fits."""
    if MALFORMED_INPUT_KEY in tool_input:
        return (
            f"Invalid input for {tool.name}: the arguments were not valid JSON: "
            f"{tool_input[MALFORMED_INPUT_KEY]!r}"
        )
    try:
        tool.input_model.model_validate(tool_input)
    except ValidationError as e:
        return f"Invalid input for {tool.name}: {validation_problems(e)}"
    return None


class ToolInputActivity:
    def __init__(self, registry: ToolRegistry, mcp: McpHub | None = None) -> None:
        self.registry = registry
        self.mcp = mcp

    @activity.defn(name="check_tool_input")
    async def check_tool_input(self, request: ToolRequest) -> str | None:
        if is_mcp(request.tool_name):
            return self.mcp.input_problem(request) if self.mcp else None
        tool = self.registry.get(request.tool_name)
        if tool is None:
            return f"Unknown tool {request.tool_name!r} on this worker"
        return input_problem(tool, request.input)

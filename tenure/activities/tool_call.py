"""The `tool_call` activity: run one tool from the worker's registry in the session's
workspace."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from temporalio import activity

from tenure.activities.heartbeat import heartbeating
from tenure.activities.tool_runs import ToolRuns
from tenure.models import MALFORMED_INPUT_KEY, ToolRequest, ToolResult, WorkerPolicy
from tenure.models.validation import validation_problems
from tenure.permissions import first_match
from tenure.tools import ToolContext, ToolError, ToolRegistry


class ToolCallActivity:
    def __init__(self, registry: ToolRegistry, policy: WorkerPolicy) -> None:
        self.registry = registry
        self.policy = policy
        self.runs = ToolRuns()
        """Side-effecting calls on this host, so a retried attempt never runs one twice."""

    @activity.defn(name="tool_call")
    async def tool_call(self, request: ToolRequest) -> ToolResult:
        """Run the tool. Its failures (bad input, ToolError) become an error result the
        model sees; only the worker's own crash or a cancellation escape."""
        tool = self.registry.get(request.tool_name)
        if tool is None:
            return ToolResult(
                content=f"Unknown tool {request.tool_name!r} on this worker", is_error=True
            )
        if rule := first_match(
            self.policy.deny, request.tool_name, request.input, request.workspace
        ):
            return ToolResult(content=f"Denied by this worker's policy rule {rule}.", is_error=True)
        if MALFORMED_INPUT_KEY in request.input:
            return ToolResult(
                content=f"Invalid input for {tool.name}: the arguments were not valid JSON: "
                f"{request.input[MALFORMED_INPUT_KEY]!r}",
                is_error=True,
            )
        try:
            parsed = tool.input_model.model_validate(request.input)
        except ValidationError as e:
            return ToolResult(content=f"Invalid input for {tool.name}: {validation_problems(e)}", is_error=True)
        ctx = ToolContext(
            workspace=Path(request.workspace),
            session_id=request.session_id,
            additional_directories=[Path(d) for d in request.additional_directories],
        )
        async def execute() -> ToolResult:
            try:
                return ToolResult(content=await tool.execute(parsed, ctx))
            except ToolError as e:
                return ToolResult(content=str(e), is_error=True)

        async with heartbeating():
            if tool.kind == "read":  # safe to run again on each attempt
                return await execute()
            key = (request.session_id, request.tool_use_id)
            return await self.runs.run_once(key, tool.name, execute)

"""The `tool_call` activity: run one tool from the worker's registry in the session's
workspace."""

from __future__ import annotations

from pathlib import Path

from temporalio import activity

from tenure.activities.heartbeat import heartbeating
from tenure.activities.tool_input import input_problem
from tenure.activities.tool_runs import ToolRuns
from tenure.mcp import McpHub, McpProgress, McpTool, is_mcp
from tenure.models import ToolRequest, ToolResult, WorkerPolicy
from tenure.permissions import first_match
from tenure.tools import ToolContext, ToolError, ToolRegistry
from tenure.tools.limits import cap_bytes


CUT_HINT = "ask for less at a time (a narrower search, a range of lines, a smaller page)"


class ToolCallActivity:
    def __init__(
        self, registry: ToolRegistry, policy: WorkerPolicy, mcp: McpHub | None = None
    ) -> None:
        self.registry = registry
        self.policy = policy
        self.mcp = mcp or McpHub({}, policy)
        self.runs = ToolRuns()
        """Side-effecting calls on this host, so a retried attempt never runs one twice."""

    @activity.defn(name="tool_call")
    async def tool_call(self, request: ToolRequest) -> ToolResult:
        """Run the tool. Its failures (bad input, ToolError) become an error result the
        model sees; only the worker's own crash or a cancellation escape. The result
        carries the session's MCP tools when their list changed."""
        result = await self._run(request)
        # A retried attempt says the list again: the attempt that said it may be lost.
        again = activity.in_activity() and activity.info().attempt > 1
        changed = await self.mcp.changes(request.session_id, again=again)
        return result.model_copy(update={"mcp_tools": changed}) if changed else result

    async def _run(self, request: ToolRequest) -> ToolResult:
        if rule := first_match(
            self.policy.deny, request.tool_name, request.input, request.workspace
        ):
            return ToolResult(content=f"Denied by this worker's policy rule {rule}.", is_error=True)
        if is_mcp(request.tool_name):
            return await self._mcp_call(request)
        tool = self.registry.get(request.tool_name)
        if tool is None:
            return ToolResult(
                content=f"Unknown tool {request.tool_name!r} on this worker", is_error=True
            )
        if problem := input_problem(tool, request.input):
            return ToolResult(content=problem, is_error=True)
        parsed = tool.input_model.model_validate(request.input)
        ctx = ToolContext(
            workspace=Path(request.workspace),
            session_id=request.session_id,
            additional_directories=[Path(d) for d in request.additional_directories],
            env_passthrough=self.policy.env_passthrough,
        )
        async def execute() -> ToolResult:
            try:
                output = await tool.execute(parsed, ctx)
            except ToolError as e:
                return ToolResult(content=cap_bytes(str(e), CUT_HINT), is_error=True)
            return ToolResult(content=cap_bytes(output, CUT_HINT))

        async with heartbeating():
            if tool.kind == "read":  # safe to run again on each attempt
                return await execute()
            key = (request.session_id, request.tool_use_id)
            return await self.runs.run_once(key, tool.name, execute)

    async def _mcp_call(self, request: ToolRequest) -> ToolResult:
        """An MCP tool, on the connection this host holds for the session; a tool that is
        not read-only runs at most once, as tenure's own side-effecting tools do. The
        server's progress rides along with the heartbeats."""
        progress = McpProgress()
        async with heartbeating(details=progress.details):
            tool = await self.mcp.call(request)
            if not isinstance(tool, McpTool):
                return tool
            found = tool

            async def execute() -> ToolResult:
                return await self.mcp.run(found, request, progress)

            if tool.spec.kind == "read":
                return await execute()
            key = (request.session_id, request.tool_use_id)
            return await self.runs.run_once(key, request.tool_name, execute)

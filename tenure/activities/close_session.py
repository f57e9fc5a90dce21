"""The `close_session` activity: release what a session held on the worker."""

from __future__ import annotations

from temporalio import activity

from tenure.mcp import McpHub
from tenure.tools.bash_jobs import kill_session_jobs


class CloseSessionActivity:
    def __init__(self, mcp: McpHub) -> None:
        self.mcp = mcp

    @activity.defn(name="close_session")
    async def close_session(self, session_id: str) -> int:
        """Kill the session's background Bash jobs and close its MCP connections;
        returns how many jobs were still running.

        Jobs and connections live in the worker process that started them: with several
        workers, jobs on another worker outlive the session (a known limit, see README)."""
        await self.mcp.close(session_id)
        return await kill_session_jobs(session_id)

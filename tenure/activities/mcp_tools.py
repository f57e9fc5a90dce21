"""The worker's copy of each session's MCP tool list, so that model calls need not carry
the tools' schemas each time (tens of KB for a browser): a call brings the list when it
changed, and a worker that has no copy of that version reads it through the session's
`mcp_tools` query."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

from temporalio import activity

from tenure.models import McpToolSpec, ModelCallInput

MAX_SESSIONS = 256
QUERY_TIMEOUT = timedelta(seconds=30)


class McpToolsCache:
    def __init__(self) -> None:
        self._sessions: OrderedDict[str, tuple[tuple[str, int], list[McpToolSpec]]] = (
            OrderedDict()
        )
        """session -> ((run, revision), tools)"""

    async def tools(self, call: ModelCallInput) -> list[McpToolSpec]:
        if call.mcp_tools_revision == 0:
            return call.mcp_tools or []
        key = (call.run_id, call.mcp_tools_revision)
        known, cached = self._sessions.pop(call.session_id, (("", 0), []))
        if call.mcp_tools is not None:
            tools = call.mcp_tools
        elif known == key:
            tools = cached
        else:
            handle = activity.client().get_workflow_handle(call.session_id, run_id=call.run_id)
            tools = await handle.query(
                "mcp_tools", result_type=list[McpToolSpec], rpc_timeout=QUERY_TIMEOUT
            )
        self._sessions[call.session_id] = (key, tools)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return tools

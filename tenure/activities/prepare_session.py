"""The `prepare_session` activity: what the worker tells a session once, at its start."""

from __future__ import annotations

from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.models import SessionSetup, SessionSetupRequest, ToolInfo
from tenure.tools import ToolRegistry


class PrepareSessionActivity:
    def __init__(self, registry: ToolRegistry) -> None:
        self.registry = registry

    @activity.defn(name="prepare_session")
    async def prepare_session(self, request: SessionSetupRequest) -> SessionSetup:
        """Resolve the workspace and describe the session's tools; refuse what cannot work."""
        directories = []
        for raw in [request.workspace, *request.additional_directories]:
            path = Path(raw).expanduser().resolve()
            if not path.is_dir():
                raise ApplicationError(
                    f"Workspace {raw!r} is not a directory on worker", non_retryable=True
                )
            directories.append(str(path))
        unknown = [n for n in request.tools if self.registry.get(n) is None]
        if unknown:
            raise ApplicationError(
                f"Unknown tools {unknown}; this worker offers {self.registry.names()}",
                non_retryable=True,
            )
        tools = [ToolInfo(name=t.name, kind=t.kind) for n in request.tools if (t := self.registry.get(n))]
        return SessionSetup(
            workspace=directories[0], additional_directories=directories[1:], tools=tools
        )

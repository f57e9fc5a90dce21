"""KillShell: stop a background Bash job and everything it started."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.bash_jobs import background_jobs


class KillShellInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shell_id: str = Field(description="The job id that Bash returned with run_in_background.")


class KillShellTool:
    name = "KillShell"
    kind: ToolKind = "execute"
    input_model: type[BaseModel] = KillShellInput
    description = (
        "Kills a background Bash job (started with run_in_background) and every process it "
        "started: SIGTERM, then SIGKILL for whatever is still alive after a short grace period. "
        "Its output stays readable with BashOutput."
    )

    async def execute(self, input: KillShellInput, ctx: ToolContext) -> str:
        job = background_jobs.get(input.shell_id, ctx.session_id)
        if not job.has_live_processes():
            raise ToolError(f"{job.id} is not running ({job.status()}); there is nothing to kill.")
        await job.kill()
        return f"Killed {job.id} and every process it started (command: {job.command})."

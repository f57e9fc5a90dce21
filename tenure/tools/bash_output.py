"""BashOutput: the new output of a background Bash job, and its status."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.bash_jobs import background_jobs


class BashOutputInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bash_id: str = Field(description="The job id that Bash returned with run_in_background.")
    filter: str | None = Field(
        default=None,
        description="A Python regular expression: show only the new lines that match it. "
        "Lines that do not match are consumed and will not be shown again.",
    )


class BashOutputTool:
    name = "BashOutput"
    kind: ToolKind = "read"
    input_model: type[BaseModel] = BashOutputInput
    description = (
        "Reads the output of a background Bash job (started with run_in_background).\n\n"
        "- Returns only the output written since the previous BashOutput call for that job: "
        "stdout, then stderr after a [stderr] line, then the job's status (running, exited "
        "with code N, or killed).\n"
        "- filter (a regular expression) keeps only matching lines; while the job runs, an "
        "unfinished last line waits for the next read.\n"
        "- A job keeps the last 1,000,000 characters of each stream; one read shows at most "
        "the last 30,000 of what is new. Read often, or filter, for chatty jobs."
    )

    async def execute(self, input: BashOutputInput, ctx: ToolContext) -> str:
        job = background_jobs.get(input.bash_id, ctx.session_id)
        pattern = None
        if input.filter is not None:
            try:
                pattern = re.compile(input.filter)
            except re.error as e:
                raise ToolError(f"Invalid filter regex {input.filter!r}: {e}") from None
        return await job.read(pattern)

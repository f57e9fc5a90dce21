"""PresentFile: mark a file in the workspace for the person (listed in the session status)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError


class PresentFileInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_path: str = Field(description="The file to present, inside the workspace")
    file_name: str | None = Field(default=None, description="A name to show instead of the path")
    description: str | None = Field(default=None, description="What the file is, in a sentence")


class PresentFileTool:
    name = "PresentFile"
    kind: ToolKind = "read"
    input_model: type[BaseModel] = PresentFileInput
    description = (
        "Present a finished file (a report, a chart, a patch) to the person you work for. "
        "The file must exist in the workspace; the person sees it in the session's list of "
        "presented files."
    )

    async def execute(self, input: PresentFileInput, ctx: ToolContext) -> str:
        path = ctx.resolve_path(input.file_path)
        if not path.is_file():
            raise ToolError(f"Cannot present {input.file_path}: no such file")
        return f"Presented {path} ({path.stat().st_size} bytes) to the user."

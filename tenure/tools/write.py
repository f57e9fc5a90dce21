"""Write: create or overwrite a file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.files import write_atomically


class WriteInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(
        description="Path of the file to write (absolute, or relative to the workspace)."
    )
    content: str = Field(description="The complete new content of the file.")


class WriteTool:
    name = "Write"
    kind: ToolKind = "edit"
    input_model: type[BaseModel] = WriteInput
    description = (
        "Writes a file to the local filesystem, replacing it if it exists.\n\n"
        "Usage:\n"
        "- Creates missing parent directories.\n"
        "- When the file already exists, Read it first; to change part of a file, prefer Edit, "
        "which sends only the change.\n"
        "- Do not create documentation or README files unless asked to."
    )

    async def execute(self, input: WriteInput, ctx: ToolContext) -> str:
        path = ctx.resolve_path(input.file_path)
        if path.is_dir():
            raise ToolError(f"{path} is a directory; give the path of a file.")
        data = input.content.encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
        except OSError as e:
            raise ToolError(f"Cannot write {path}: {e.strerror or e}") from None
        return f"Wrote {len(data)} bytes to {path}"

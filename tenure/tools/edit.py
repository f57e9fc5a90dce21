"""Edit: replace an exact string in a file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.files import write_atomically


class EditInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_path: str = Field(
        description="Path of the file to change (absolute, or relative to the workspace)."
    )
    old_string: str = Field(description="The exact text to replace.")
    new_string: str = Field(description="The text to put in its place (must differ).")
    replace_all: bool = Field(
        default=False, description="Replace every occurrence of old_string (default false)."
    )


class EditTool:
    name = "Edit"
    kind: ToolKind = "edit"
    input_model: type[BaseModel] = EditInput
    description = (
        "Performs an exact string replacement in a file.\n\n"
        "Usage:\n"
        "- Read the file first. Quote old_string exactly as in the file, indentation included, "
        "and without Read's line-number prefix.\n"
        "- The edit fails when old_string is not found, or when it occurs more than once and "
        "replace_all is false: then add surrounding lines to make it unique, or set replace_all "
        "to change every occurrence (handy for renaming a variable).\n"
        "- new_string must differ from old_string.\n"
        "- Use Write to create a new file."
    )

    async def execute(self, input: EditInput, ctx: ToolContext) -> str:
        if input.old_string == input.new_string:
            raise ToolError("old_string and new_string are the same; there is nothing to change.")
        if not input.old_string:
            raise ToolError("old_string is empty; use Write to create or replace a whole file.")
        path = ctx.resolve_path(input.file_path)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ToolError(f"File does not exist: {path}. Use Write to create it.") from None
        except IsADirectoryError:
            raise ToolError(f"{path} is a directory, not a file.") from None
        except UnicodeDecodeError:
            raise ToolError(f"{path} is not UTF-8 text; Edit changes text files only.") from None
        except OSError as e:
            raise ToolError(f"Cannot read {path}: {e.strerror or e}") from None

        count = text.count(input.old_string)
        if count == 0:
            raise ToolError(
                f"old_string was not found in {path}. Read the file and quote its text exactly."
            )
        if count > 1 and not input.replace_all:
            raise ToolError(
                f"old_string occurs {count} times in {path}. Add surrounding context to make it "
                "unique, or set replace_all to replace every occurrence."
            )
        try:
            write_atomically(path, text.replace(input.old_string, input.new_string).encode("utf-8"))
        except OSError as e:
            raise ToolError(f"Cannot write {path}: {e.strerror or e}") from None
        return f"Edited {path}: {count} replacement{'s' if count > 1 else ''}."

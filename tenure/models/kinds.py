"""What a tool does to its host, which decides how it is permitted and retried."""

from typing import Literal

ToolKind = Literal["read", "edit", "execute"]
"""`read` changes nothing (allowed in default and plan mode, retried freely); `edit` changes
files (allowed in acceptEdits); `execute` may do anything (asks, runs at most once)."""

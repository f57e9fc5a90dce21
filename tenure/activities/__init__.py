"""Activities: where I/O happens (model calls, tools)."""

from tenure.activities.archive import archive_messages
from tenure.activities.close_session import CloseSessionActivity
from tenure.activities.model_call import ModelCallActivity
from tenure.activities.prepare_session import PrepareSessionActivity
from tenure.activities.run_hooks import HooksActivity
from tenure.activities.titles import generate_title
from tenure.activities.tool_call import ToolCallActivity
from tenure.activities.tool_input import ToolInputActivity

__all__ = [
    "CloseSessionActivity",
    "HooksActivity",
    "ModelCallActivity",
    "PrepareSessionActivity",
    "ToolCallActivity",
    "ToolInputActivity",
    "archive_messages",
    "generate_title",
]

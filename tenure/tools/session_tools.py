"""Tools the session workflow carries out itself (no activity, no I/O): the worker only
describes them to the model. Their input models live in tenure.models.interaction."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tenure.models import AskUserQuestionInput, TodoWriteInput, ToolKind
from tenure.models.agents import AGENT_TOOL, AgentInput
from tenure.tools.base import ToolContext, ToolError


class _WorkflowTool:
    kind: ToolKind = "read"
    concurrent = False
    """The session's own state, or a person, in the reply's order."""

    async def execute(self, input: Any, ctx: ToolContext) -> str:
        raise ToolError(f"{self.name} is carried out by the session workflow, not on a worker")

    name: str


class TodoWriteTool(_WorkflowTool):
    name = "TodoWrite"
    input_model: type[BaseModel] = TodoWriteInput
    description = (
        "Create and update a structured todo list for the current task. Use it for work with "
        "three or more steps: send the whole list each time, with exactly one item "
        "in_progress while you work, and mark items completed as soon as they are done. "
        "The person watching the session sees the list."
    )


class AskUserQuestionTool(_WorkflowTool):
    name = "AskUserQuestion"
    input_model: type[BaseModel] = AskUserQuestionInput
    description = (
        "Ask the user 1-4 multiple-choice questions when you need a decision or a "
        "preference to go on. Each question has a short header (<= 12 characters) and 2-4 "
        "options with a label and a description; set multiSelect when several options may "
        "apply. The user may always answer in their own words instead. The session waits "
        "for the answers, which come back as the tool result."
    )


class AgentTool(_WorkflowTool):
    """Delegates a task to a subagent: a child session of its own (the workflow starts
    it). The types a session may use are listed in the description each model call
    sends (tenure.activities.model_call)."""

    name = AGENT_TOOL
    input_model: type[BaseModel] = AgentInput
    concurrent = True
    """Several calls in one reply run their subagents side by side."""
    description = (
        "Launch a subagent to handle a complex, multi-step task on its own. The subagent "
        "starts fresh: give it a complete task in `prompt`, with everything it needs to "
        "know, and say what it should report back. Its final reply comes back as this "
        "tool's result, and only you see it: tell the user what matters. Launch several "
        "subagents in one reply to work on independent tasks at once. Choose its type "
        "with `subagent_type`."
    )

"""Inputs of the tools the workflow handles itself: TodoWrite and AskUserQuestion."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Todo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1, description="What to do, in the imperative: 'Run the tests'")
    status: Literal["pending", "in_progress", "completed"]
    activeForm: str = Field(
        min_length=1, description="The same in the present continuous: 'Running the tests'"
    )


class TodoWriteInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    todos: list[Todo] = Field(description="The whole updated todo list")


class QuestionOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, description="The choice, 1-5 words")
    description: str = Field(default="", description="What choosing it means")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, description="The full question, ending with '?'")
    header: str = Field(min_length=1, max_length=12, description="A short label (<= 12 chars)")
    options: list[QuestionOption] = Field(min_length=2, max_length=4)
    multiSelect: bool = Field(default=False, description="Whether several options may be chosen")


class AskUserQuestionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[Question] = Field(min_length=1, max_length=4)


class PendingQuestion(BaseModel):
    """What `status.pending_questions` lists while the session waits for an answer. The
    person may pick a label or answer in free text ("Other")."""

    request_id: str
    tool_use_id: str
    questions: list[Question]

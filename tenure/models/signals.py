"""Payloads of the signals a person or a service sends to a session."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class UserMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)


class PermissionResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str
    decision: Literal["allow", "deny"]
    scope: Literal["once", "session"] = "once"
    """`session` remembers an approval for the rest of the session."""
    reason: str | None = None
    """Shown to the model when the call is denied."""
    decided_by: str | None = None
    origin: str | None = None
    """Where the decision came from, for the audit trail (the HTTP API puts the caller's
    address there)."""


class UserAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str
    answers: dict[str, str]
    """Question text -> chosen label (or free text)."""
    decided_by: str | None = None
    origin: str | None = None
    """As for PermissionResponse."""


class CompactRequest(BaseModel):
    """Compact the conversation now (`/compact [instructions]`)."""

    model_config = ConfigDict(extra="forbid")
    instructions: str | None = None
    """What the summary should keep or focus on."""

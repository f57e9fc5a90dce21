"""Decoding what arrives from outside the workflow (its input, signals, stream
publishes) without ever letting a bad payload fail a workflow task: every problem comes
back as a short sentence for `status.rejected_signals`, the event stream and the log."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from google.protobuf.message import DecodeError
from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.contrib.workflow_streams import PublishInput
from temporalio.exceptions import ApplicationError

from tenure.models import SessionConfig
from tenure.models.carry import SessionCarry
from tenure.models.events import (
    DELTAS_TOPIC,
    ModelError,
    ModelRetry,
    TextDelta,
    ThinkingDelta,
)
from tenure.models.validation import validation_problems
from tenure.workflows.shared import lean

STREAM_PUBLISH_SIGNAL = "__temporal_workflow_stream_publish"
"""The signal that `temporalio.contrib.workflow_streams` publishes through."""
REASON_CHARS = 300
"""A rejection reason is cut to this length, whatever arrived."""
M = TypeVar("M", bound=BaseModel)
Delta = TextDelta | ThinkingDelta | ModelRetry | ModelError
_delta: TypeAdapter[Delta] = TypeAdapter(Delta)
_publish_input: TypeAdapter[PublishInput] = TypeAdapter(PublishInput)


class Rejected(Exception):
    """A payload that does not fit; the message says why (short)."""

    def __init__(self, reason: str) -> None:
        super().__init__(shorten(reason))


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def session_input(args: Sequence[Any]) -> tuple[SessionConfig, SessionCarry | None]:
    """The workflow input: a SessionConfig, and for a run that continues a session, what
    the previous run handed over. A problem is a non-retryable ApplicationError, which
    fails the workflow at once with a readable message (never a workflow task that fails
    and retries forever)."""
    given = [a for a in args if a is not None]
    if not args or args[0] is None or len(args) > 2:
        raise ApplicationError(
            f"Invalid SessionConfig: expected one SessionConfig object as the workflow "
            f"input, got {len(given)} inputs",
            type="InvalidSessionConfig",
            non_retryable=True,
        )
    try:
        config = lean(SessionConfig.model_validate(args[0]))
    except ValidationError as e:
        raise ApplicationError(
            f"Invalid SessionConfig: {validation_problems(e)}",
            type="InvalidSessionConfig",
            non_retryable=True,
        ) from None
    if len(args) == 1 or args[1] is None:
        _release(args)
        return config, None
    try:
        carry = SessionCarry.model_validate(args[1])
    except ValidationError as e:
        raise ApplicationError(
            f"Invalid SessionConfig: expected one SessionConfig object as the workflow "
            f"input, got 2 inputs (a second is only what a session hands to its next run "
            f"when it continues as new, and this one is not: "
            f"{shorten(validation_problems(e), 200)})",
            type="InvalidSessionConfig",
            non_retryable=True,
        ) from None
    _release(args)
    return config, carry


def _release(args: Sequence[Any]) -> None:
    """Empty the decoded input once it is validated. The SDK keeps the workflow's
    arguments for the whole run; as plain JSON they would hold the config, and a
    continued session's carried transcript, a second time. The session holds what
    was validated, and run() does not read its arguments."""
    for arg in args:
        if isinstance(arg, dict):
            arg.clear()


def payload(args: Sequence[RawValue], model: type[M]) -> M:
    """The one payload of a signal, decoded and validated as `model`."""
    if len(args) != 1:
        raise Rejected(f"expected one {model.__name__} payload, got {len(args)}")
    value = _decode(args[0].payload)
    try:
        return model.model_validate(value)
    except ValidationError as e:
        raise Rejected(f"bad payload: {validation_problems(e)}") from None


def model_deltas(args: Sequence[RawValue]) -> tuple[PublishInput, list[Delta]]:
    """A publish to the session's stream from outside the workflow. Only model output on
    the `deltas` topic may come in this way (the workflow alone publishes `events`); a
    batch with anything else is refused whole."""
    if len(args) != 1:
        raise Rejected(f"expected one publish batch, got {len(args)}")
    value = _decode(args[0].payload)
    try:
        batch = _publish_input.validate_python(value)
    except ValidationError as e:
        raise Rejected(f"bad publish batch: {validation_problems(e)}") from None
    deltas: list[Delta] = []
    for entry in batch.items:
        if entry.topic != DELTAS_TOPIC:
            raise Rejected(f"only the session publishes on topic {entry.topic!r}")
        try:
            item = Payload()
            item.ParseFromString(base64.b64decode(entry.data, validate=True))
            deltas.append(_delta.validate_python(_decode(item)))
        except (binascii.Error, DecodeError, ValueError) as e:
            raise Rejected(f"an item of the batch is not model output: {e}") from None
    return batch, deltas


def _decode(data: Payload) -> Any:
    try:
        return workflow.payload_converter().from_payload(data)
    except Exception as e:  # noqa: BLE001 - any decoding failure is the sender's problem
        raise Rejected(f"payload does not decode: {e}") from None

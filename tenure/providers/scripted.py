"""The scripted provider: plays assistant turns from a JSON file, for tests and offline demos.

It is not a model. `scripted:PATH` names a JSON file holding a list of turns (or
`{"turns": [...]}`); the Nth model call of a conversation gets turn N, counted from the
assistant messages already in it, so a retried call gets the same turn again. A turn is a
string (one text block), a list of content blocks in Anthropic's shape, or an object
`{"content": [...], "stop_reason": "...", "usage": {...}, "delay_ms": 0}`; `delay_ms`
makes the call take that long, as a slow model would. Turns the model no longer sees
after a compaction still count; a compaction's summary request is answered with a list
of the user's messages, not from the script.
"""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tenure.models import (
    ContentBlock,
    Message,
    ModelRequest,
    ModelResponse,
    TextBlock,
    Usage,
)
from tenure.providers.base import ModelCallError, StreamCallback


class ScriptedTurn(BaseModel):
    content: list[ContentBlock]
    stop_reason: str | None = None
    usage: Usage = Field(default_factory=lambda: Usage(input_tokens=10, output_tokens=10))
    delay_ms: int = 0


def load_script(path: Path) -> list[ScriptedTurn]:
    """The script's turns, parsed once for each version of the file."""
    try:
        stat = path.stat()
    except OSError as e:
        raise ModelCallError(f"scripted provider: cannot read {path}: {e}", retryable=False) from e
    return _parse_script(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parse_script(path: Path, mtime_ns: int, size: int) -> list[ScriptedTurn]:
    try:
        raw: Any = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ModelCallError(f"scripted provider: cannot read {path}: {e}", retryable=False) from e
    if isinstance(raw, dict):
        raw = raw.get("turns")
    if not isinstance(raw, list):
        raise ModelCallError(
            f"scripted provider: {path} must hold a list of turns or {{\"turns\": [...]}}",
            retryable=False,
        )
    turns = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"content": [{"type": "text", "text": item}]}
        elif isinstance(item, list):
            item = {"content": item}
        try:
            turns.append(ScriptedTurn.model_validate(item))
        except ValidationError as e:
            raise ModelCallError(
                f"scripted provider: turn {i + 1} of {path} is malformed: {e}", retryable=False
            ) from e
    return turns


class ScriptedProvider:
    def __init__(self, path: str) -> None:
        self.path = Path(path).expanduser()

    async def complete(
        self, request: ModelRequest, tools: list[dict[str, Any]], on_delta: StreamCallback
    ) -> ModelResponse:
        if request.summary_request:
            return self._summary(request)
        turns = load_script(self.path)
        index = request.earlier_replies + sum(1 for m in request.messages if m.role == "assistant")
        if index >= len(turns):
            raise ModelCallError(
                f"scripted provider: {self.path} has {len(turns)} turns and the conversation "
                f"asks for turn {index + 1}",
                retryable=False,
            )
        turn = turns[index]
        if turn.delay_ms:
            await asyncio.sleep(turn.delay_ms / 1000)
        for block in turn.content:
            if isinstance(block, TextBlock):
                on_delta("text", block.text)
        message = Message(role="assistant", content=turn.content)
        stop = turn.stop_reason or ("tool_use" if message.tool_uses else "end_turn")
        return ModelResponse(message=message, stop_reason=stop, usage=turn.usage)

    def _summary(self, request: ModelRequest) -> ModelResponse:
        """A compaction's summary: the user's messages so far, one line each (the script
        holds the model's replies only)."""
        asked = [
            block.text
            for m in request.messages[:-1]
            if m.role == "user"
            for block in m.content
            if isinstance(block, TextBlock)
        ]
        lines = "\n".join(f"- {text.splitlines()[0][:200]}" for text in asked if text.strip())
        message = Message(
            role="assistant", content=[TextBlock(text=f"Scripted summary. Asked so far:\n{lines}")]
        )
        return ModelResponse(message=message, stop_reason="end_turn", usage=Usage())

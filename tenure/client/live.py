"""LiveOutput: what a subscriber shows of the model's output while it streams.

Deltas are a preview. Feed every event to `apply`: text gathers per turn, a `model_retry`
(or a delta from a newer attempt) drops what an earlier attempt of the same turn
streamed, stale deltas from an older attempt are ignored, and the assistant `message`
event, which is the authoritative text, ends the preview.
"""

from __future__ import annotations

from tenure.models.events import (
    MessageAdded,
    ModelRetry,
    SessionEvent,
    TextDelta,
    ThinkingDelta,
)


class LiveOutput:
    def __init__(self) -> None:
        self.turn: int | None = None
        self.attempt = 0
        self.text = ""
        self.thinking = ""

    def apply(self, event: SessionEvent) -> bool:
        """Take one event; True when the preview changed."""
        if isinstance(event, ModelRetry):
            if self.turn is None or event.turn >= self.turn:
                self._restart(event.turn, event.attempt)
                return True
            return False
        if isinstance(event, TextDelta | ThinkingDelta):
            if self.turn is not None and (event.turn, event.attempt) < (self.turn, self.attempt):
                return False  # from an attempt that has been retried since
            if (event.turn, event.attempt) != (self.turn, self.attempt):
                self._restart(event.turn, event.attempt)
            if isinstance(event, TextDelta):
                self.text += event.text
            else:
                self.thinking += event.text
            return True
        if isinstance(event, MessageAdded) and event.kind == "assistant":
            changed = bool(self.text or self.thinking)
            self.text = self.thinking = ""
            return changed
        return False

    def _restart(self, turn: int, attempt: int) -> None:
        self.turn, self.attempt = turn, attempt
        self.text = self.thinking = ""

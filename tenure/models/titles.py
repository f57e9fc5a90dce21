"""Session titles: how one is made up without a model, and how a model's is tidied."""

from __future__ import annotations

from tenure.models.config import TITLE_CHARS


def scripted_title(prompt: str) -> str:
    """The scripted provider's title (no model call): the task's first six words."""
    words = prompt.split()[:6]
    return cleaned(" ".join(words)) or "Scripted session"


def cleaned(text: str) -> str:
    """One line, no quotes or trailing punctuation, at most TITLE_CHARS."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.strip().strip("\"'`*#").strip().rstrip(".!?,;:")
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"

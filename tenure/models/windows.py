"""How many input tokens each model takes: the context windows automatic compaction
measures against (`compaction.context_window` overrides them)."""

from __future__ import annotations

DEFAULT_CONTEXT_WINDOW = 200_000
"""Every Claude model's standard window, and the assumption for a model not listed (set
`compaction.context_window` for a smaller one, such as a local model's)."""
CONTEXT_WINDOWS: dict[str, int] = {
    "claude-sonnet-4": 200_000,
    "claude-sonnet-4-5": 200_000,
    "claude-sonnet-5": 200_000,
    "claude-opus-4": 200_000,
    "claude-haiku-4": 200_000,
    "claude-3-5": 200_000,
    "gpt-4o": 128_000,
    "gpt-4.1": 1_047_576,
    "o3": 200_000,
    "o4-mini": 200_000,
}
"""Model name prefixes, longest match wins."""


def context_window(model: str) -> int:
    """The context window of `model` (`anthropic:NAME`, a bare Claude name, ...)."""
    name = model.partition(":")[2] if ":" in model else model
    matches = [prefix for prefix in CONTEXT_WINDOWS if name.startswith(prefix)]
    return CONTEXT_WINDOWS[max(matches, key=len)] if matches else DEFAULT_CONTEXT_WINDOW

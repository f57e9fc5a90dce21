"""What tenure knows of each model: its context window (what automatic compaction
measures against), its prices (what budgets count) and its end of life (what the CLI and
the workers warn of), in one table.

Entries are model-name prefixes; the longest match wins. Prices are US dollars per
million tokens, as the providers published them when this table was written: override
or extend them on a worker with `TENURE_PRICES`, a JSON file of the same shape
(`{"claude-sonnet-4-5": {"input": 3, "output": 15, "cache_write": 3.75,
"cache_read": 0.3}}`). A model the table does not price costs 0 (budgets then count
its tokens only).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from tenure.models.messages import Usage

V = TypeVar("V")
DEFAULT_CONTEXT_WINDOW = 200_000
"""Every Claude model's standard window, and the assumption for a model not listed (set
`compaction.context_window` for a smaller one, such as a local model's)."""


class Prices(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")
    input: float
    output: float
    cache_write: float = 0.0
    cache_read: float = 0.0

    def cost_usd(self, usage: Usage) -> float:
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_creation_input_tokens * self.cache_write
            + usage.cache_read_input_tokens * self.cache_read
        ) / 1_000_000


def _claude(input: float, output: float) -> Prices:
    """Anthropic's pricing shape: cache writes at 1.25x input, reads at 0.1x."""
    return Prices(input=input, output=output, cache_write=input * 1.25, cache_read=input * 0.1)


CONTEXT_WINDOWS: dict[str, int] = {
    "claude-sonnet-4": 200_000,
    "claude-sonnet-4-5": 200_000,
    "claude-sonnet-5": 200_000,
    "claude-opus-4": 200_000,
    "claude-haiku-4": 200_000,
    "claude-3-5": 200_000,
    "gpt-4o": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-5": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
}
PRICES: dict[str, Prices] = {
    "claude-opus-4": _claude(15, 75),
    "claude-opus-4-5": _claude(5, 25),
    "claude-sonnet-4": _claude(3, 15),
    "claude-sonnet-5": _claude(3, 15),
    "claude-haiku-4": _claude(1, 5),
    "claude-3-5-haiku": _claude(0.8, 4),
    "claude-3-5-sonnet": _claude(3, 15),
    "gpt-4o": Prices(input=2.5, output=10, cache_read=1.25),
    "gpt-4o-mini": Prices(input=0.15, output=0.6, cache_read=0.075),
    "gpt-4.1": Prices(input=2, output=8, cache_read=0.5),
    "gpt-4.1-mini": Prices(input=0.4, output=1.6, cache_read=0.1),
    "gpt-5": Prices(input=1.25, output=10, cache_read=0.125),
    "o3": Prices(input=2, output=8, cache_read=0.5),
    "o4-mini": Prices(input=1.1, output=4.4, cache_read=0.275),
}

END_OF_LIFE: dict[str, str] = {
    "claude-2": "July 21st, 2025",
    "claude-3-sonnet": "July 21st, 2025",
    "claude-3-5-sonnet": "October 22nd, 2025",
    "claude-3-opus": "January 5th, 2026",
    "claude-3-7-sonnet": "February 19th, 2026",
    "claude-3-5-haiku": "February 19th, 2026",
    "gpt-4-32k": "June 6th, 2025",
    "gpt-4.5-preview": "July 14th, 2025",
    "o1-preview": "July 28th, 2025",
    "o1-mini": "October 27th, 2025",
}
"""When a provider stops (or stopped) serving a model, as it announced it. For Claude
models the anthropic SDK's own list (newer, with each SDK release) comes first."""


def _name(model: str) -> str:
    """`claude-x` of `anthropic:claude-x`, `gpt-4o` of `openai:gpt-4o`."""
    return model.partition(":")[2] if ":" in model else model


def _longest(table: dict[str, V], name: str) -> V | None:
    matches = [prefix for prefix in table if name.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


def context_window(model: str) -> int:
    """The context window of `model` (`anthropic:NAME`, a bare Claude name, ...)."""
    return _longest(CONTEXT_WINDOWS, _name(model)) or DEFAULT_CONTEXT_WINDOW


def prices(model: str, overrides: dict[str, Prices] | None = None) -> Prices | None:
    """The prices of `model`, the overrides first; None when neither knows them."""
    name = _name(model)
    return _longest(overrides or {}, name) or _longest(PRICES, name)


def end_of_life(model: str) -> str | None:
    """The announced end of life of `model`, if the table lists one."""
    return _longest(END_OF_LIFE, _name(model))

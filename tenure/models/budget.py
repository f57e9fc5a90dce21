"""A session tree's budget: what its model calls may cost, in dollars and in tokens."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenure.models.messages import Usage


class Budget(BaseModel):
    """Limits over the session and all its subagents; None is no limit. Checked before
    each model call: at the limit, no further call starts (the stop reason is
    `budget`)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    max_usd: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    """Input, output, cache write and cache read tokens together."""

    def reached(self, cost_usd: float, usage: Usage) -> str | None:
        """What is used up, in a sentence, or None while there is room."""
        if self.max_usd is not None and cost_usd >= self.max_usd:
            return f"${cost_usd:.4f} of its ${self.max_usd:.4f} budget spent"
        used = tokens(usage)
        if self.max_tokens is not None and used >= self.max_tokens:
            return f"{used:,} of its {self.max_tokens:,} tokens used"
        return None

    def share(self, cost_usd: float, usage: Usage, ways: int) -> Budget:
        """What is left, split `ways` ways (for subagents that start side by side)."""
        return Budget(
            max_usd=None if self.max_usd is None else max(self.max_usd - cost_usd, 0) / ways,
            max_tokens=None if self.max_tokens is None
            else max(self.max_tokens - tokens(usage), 0) // ways,
        )


def tokens(usage: Usage) -> int:
    return (usage.input_tokens + usage.output_tokens + usage.cache_creation_input_tokens
            + usage.cache_read_input_tokens)

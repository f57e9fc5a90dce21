"""Which model strings a session takes."""

from __future__ import annotations


def checked_model(model: str) -> str:
    """`model` if it names a provider's model; else ValueError saying what would."""
    provider, _, name = model.partition(":")
    if name and provider in ("anthropic", "openai", "scripted"):
        return model
    if not name and model.startswith("claude-"):
        return model
    raise ValueError(
        "model must be `anthropic:NAME`, a Claude model name (`claude-...`), "
        f"`openai:NAME` or `scripted:PATH`, not {model[:80]!r}"
    )

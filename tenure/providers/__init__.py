"""Model providers. `provider_for` picks one from a session's `model` string."""

from tenure.providers.base import (
    ModelCallError,
    Provider,
    StreamCallback,
    is_retryable_status,
)
from tenure.providers.deprecation import deprecation


def provider_for(model: str) -> Provider:
    """`scripted:PATH`, `anthropic:NAME`, `openai:NAME`, or a bare Claude model name."""
    prefix, sep, rest = model.partition(":")
    if sep and prefix == "scripted":
        from tenure.providers.scripted import ScriptedProvider

        return ScriptedProvider(rest)
    if sep and prefix == "openai":
        from tenure.providers.openai import OpenAIProvider

        return OpenAIProvider(rest)
    if sep and prefix != "anthropic":
        raise ModelCallError(
            f"Unknown model provider {prefix!r} in {model!r}: use anthropic:NAME, a Claude "
            "model name, openai:NAME or scripted:PATH",
            retryable=False,
        )
    from tenure.providers.anthropic import AnthropicProvider

    return AnthropicProvider(rest if sep else model)


__all__ = [
    "ModelCallError",
    "Provider",
    "StreamCallback",
    "deprecation",
    "is_retryable_status",
    "provider_for",
]

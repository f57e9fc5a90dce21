"""Models whose provider stops (or stopped) serving them: a sentence for the CLI when a
session starts, and one warning per worker and model when it is called."""

from __future__ import annotations

import logging

try:
    from anthropic._data import DEPRECATED_MODELS
except ImportError:  # SDK releases before the list moved to anthropic._data
    from anthropic.resources.messages.messages import (  # type: ignore[attr-defined]
        DEPRECATED_MODELS,
    )

from tenure.models.catalog import end_of_life


def deprecation(model: str) -> str | None:
    """For a deprecated model (a bare Claude name, `anthropic:NAME` or `openai:NAME`), a
    sentence on its end of life: for Claude the anthropic SDK's list first, then
    tenure.models.catalog's table."""
    prefix, sep, name = model.partition(":")
    if not sep:
        prefix, name = "anthropic", model
    if prefix not in ("anthropic", "openai"):
        return None
    end = (DEPRECATED_MODELS.get(name) if prefix == "anthropic" else None) or end_of_life(name)
    return f"The model {name} is deprecated: its end of life is {end}" if end else None


def warn_if_deprecated(model: str) -> None:
    """Log the model's deprecation, once per worker and model."""
    if model in _warned:
        return
    _warned.add(model)
    if notice := deprecation(model):
        logger.warning("%s", notice)


_warned: set[str] = set()
logger = logging.getLogger(__name__)

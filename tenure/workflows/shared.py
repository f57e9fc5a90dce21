"""Keeping each session's share of a worker's memory small.

A worker holds every session it runs in memory, a thousand idle ones included, so what a
session keeps for its whole run counts a thousand times:
- `kept`: what many sessions hold alike (the worker's tool list and policy, a zero
  usage) is held once per process, each session holding the process's copy. That is
  safe in workflow code: these values are never changed in place (ToolInfo is frozen;
  the workflow only reads the policy and replaces usage), so which of two equal copies
  a session holds changes nothing it does, live or in replay.
- `lean`: a model decoded from a payload that spells out every field remembers each
  field's name as given; a session's config and setup keep only those that differ from
  their defaults.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from tenure.models import SessionSetup

M = TypeVar("M", bound=BaseModel)
KEEP = 1024
"""At most this many values are kept (a worker has a few tool sets and one policy); past
it, a session keeps its own copy."""
_kept: dict[tuple[type, str], BaseModel] = {}


def kept(value: M) -> M:
    """The process's copy of a value equal to `value` (the first one it was given)."""
    key = (type(value), value.model_dump_json())
    copy = _kept.get(key)
    if isinstance(copy, type(value)):
        return copy
    if len(_kept) < KEEP:
        _kept[key] = value
    return value


def lean(value: M) -> M:
    """`value`, with only the fields that differ from their defaults marked as given (the
    set of given names alone was a third of a session's config). Marked in place: a
    `model_construct` copy looked up every default factory's signature: about half of the
    workflow code's CPU in a session's first workflow task."""
    given = set(value.model_dump(exclude_defaults=True))
    object.__setattr__(value, "__pydantic_fields_set__", given)
    return value


def shared_setup(setup: SessionSetup) -> SessionSetup:
    """`setup`, lean, holding the process's copies of its tools and policy."""
    setup = lean(setup)
    setup.tools = [kept(tool) for tool in setup.tools]
    setup.policy = kept(setup.policy)
    return setup

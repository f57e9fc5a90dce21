"""The worker's copy of a session's transcript follows the tails model calls bring, and
reads through the `transcript` query only when its copy does not fit the tail (outside
an activity, as here, any query fails: so a call that returns made none)."""

from __future__ import annotations

import asyncio

import pytest

from tenure.activities.transcripts import TranscriptCache
from tenure.models import Message, ModelCallInput, TextBlock


def said(text: str, role: str = "user") -> Message:
    return Message(role=role, content=[TextBlock(text=text)])  # type: ignore[arg-type]


def call(revision: int, messages: list[Message], tail_from: int, **fields: object) -> ModelCallInput:
    return ModelCallInput.model_validate({
        "session_id": "s", "run_id": "r", "workspace": "/w", "model": "scripted:x",
        "system_prompt": None, "tools": [], "max_tokens": 10, "turn": revision,
        "transcript_length": len(messages), "revision": revision,
        "tail": [m.model_dump() for m in messages[tail_from:]], "tail_from": tail_from,
        "tail_base": revision - 1, **fields,
    })


def queried(cache: TranscriptCache, model_call: ModelCallInput) -> bool:
    try:
        asyncio.run(cache.messages(model_call))
    except RuntimeError as e:
        assert "activity context" in str(e)
        return True
    return False


def test_tails_extend_the_copy_without_a_query() -> None:
    cache = TranscriptCache()
    history = [said("hi")]
    assert not queried(cache, call(1, history, 0))
    history += [said("hello", "assistant"), said("more")]
    assert not queried(cache, call(2, history, 1))
    assert not queried(cache, call(2, history, 1))  # another attempt of the same call
    history[-1] = Message(role="user", content=[*history[-1].content, TextBlock(text="merged")])
    assert not queried(cache, call(3, history, 2))  # the merged message comes again


@pytest.mark.parametrize("case", ["skipped call", "no tail", "other compactions", "new run"])
def test_a_copy_that_does_not_fit_is_read_through_the_query(case: str) -> None:
    cache = TranscriptCache()
    history = [said("hi")]
    assert not queried(cache, call(1, history, 0))
    history += [said("hello", "assistant"), said("more")]
    revision, fields = {
        "skipped call": (3, {}),  # call 2 ran on another worker
        "no tail": (2, {"tail": None}),  # too large to send
        "other compactions": (2, {"compactions": 1}),
        "new run": (2, {"run_id": "r2"}),
    }[case]
    assert queried(cache, call(revision, history, 1, **fields))


def test_a_whole_transcript_as_tail_needs_no_copy() -> None:
    cache = TranscriptCache()
    history = [said("hi"), said("hello", "assistant"), said("more")]
    assert not queried(cache, call(5, history, 0, tail_base=4))

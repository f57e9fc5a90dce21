"""Compaction's arithmetic, deterministic so the workflow can use it: which messages a
summary replaces, what the model is asked, and how the summary is shown to it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tenure.models.interaction import Todo
from tenure.models.messages import Message, TextBlock

KEEP_SHARE = 0.2
"""The most recent turns kept verbatim take at most this share of the context window
(at least the last model reply and what followed it are kept, whatever their size)."""
CHARS_PER_TOKEN = 4
SUMMARY_HEADING = "This session continues an earlier conversation that was compacted."

SUMMARY_REQUEST = """\
The conversation so far is about to be replaced by a summary, so that the work can go on \
in a fresh context. Write that summary now. Answer with text only: call no tool.

Keep everything needed to carry on without asking again:
1. What the user asked for, all of it, in the user's own words where they matter.
2. Decisions made, and why.
3. Files read, created or changed (full paths), with what matters about each.
4. Errors met and how they were fixed, or that they are still open.
5. Tasks done, tasks still open, and the very next step.
6. The todo list as it stands.
"""


def estimate_tokens(messages: Sequence[Message]) -> int:
    """A rough token count (the JSON's length / 4): enough to choose what to keep."""
    return sum(len(json.dumps(m.model_dump(mode="json"))) for m in messages) // CHARS_PER_TOKEN


def kept_from(messages: Sequence[Message], start: int, keep_tokens: int) -> int | None:
    """Where the verbatim tail begins: the earliest model reply after `start` whose tail
    fits in `keep_tokens`, else the last model reply. A tail always begins with a model
    reply, so no tool result is ever separated from the tool call it answers. None when
    there is nothing before such a reply to replace."""
    replies = [i for i in range(start + 1, len(messages)) if messages[i].role == "assistant"]
    if not replies:
        return None
    chosen = replies[-1]
    size = estimate_tokens(messages[chosen:])
    for i in reversed(replies[:-1]):
        size += estimate_tokens(messages[i:_next(replies, i)])
        if size > keep_tokens:
            break
        chosen = i
    return chosen


def _next(replies: list[int], i: int) -> int:
    return replies[replies.index(i) + 1]


def summary_request(todos: Sequence[Todo], instructions: Sequence[str]) -> str:
    """The user message that asks the model for the summary."""
    parts = [SUMMARY_REQUEST]
    if todos:
        listed = "\n".join(f"- [{t.status}] {t.content}" for t in todos)
        parts.append(f"The todo list now:\n{listed}\n")
    if instructions:
        parts.append("Further instructions for this summary:\n" + "\n".join(instructions))
    return "\n".join(parts)


def summary_message(summary: str) -> Message:
    """The user message that stands for the replaced messages in the model's context."""
    return Message(
        role="user",
        content=[
            TextBlock(
                text=f"{SUMMARY_HEADING} Its summary:\n\n{summary}\n\n"
                "The most recent messages follow verbatim."
            )
        ],
    )

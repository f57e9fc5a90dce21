"""Reading a transcript in pages of bounded size. However large a conversation grows (a
batch of big tool results in one message included), no page comes near Temporal's
payload limits: a page ends before the content block that would take it past
`max_bytes`, inside a message if need be, and the reader stitches the pieces together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from pydantic import BaseModel

from tenure.models.messages import ContentBlock, Message
from tenure.models.state import TranscriptPage, TranscriptQuery


def transcript_page(messages: Sequence[Message], query: TranscriptQuery) -> TranscriptPage:
    """The page `query` asks for (what the workflow's `transcript` query returns). It
    holds at least one content block, so reading always moves forward."""
    end = len(messages) if query.limit is None else min(len(messages), query.offset + query.limit)
    page: list[Message] = []
    size = 0
    for index in range(query.offset, end):
        message = messages[index]
        first = query.block_offset if index == query.offset else 0
        blocks: list[ContentBlock] = []
        for at in range(first, len(message.content)):
            block = message.content[at]
            size += len(block.model_dump_json())
            if size > query.max_bytes and (page or blocks):
                if blocks:
                    page.append(Message(role=message.role, content=blocks))
                    return TranscriptPage(messages=page, total=len(messages), next_block=at)
                return TranscriptPage(messages=page, total=len(messages))
            blocks.append(block)
        page.append(message if first == 0 else Message(role=message.role, content=blocks))
    return TranscriptPage(messages=page, total=len(messages))


async def read_transcript(
    fetch: Callable[[TranscriptQuery], Awaitable[TranscriptPage]],
    offset: int = 0,
    limit: int | None = None,
) -> TranscriptPage:
    """Messages `offset` to `offset + limit` (or the end), whole, read page by page."""
    end = None if limit is None else offset + limit
    messages: list[Message] = []
    index, block = offset, 0
    while True:
        page = await fetch(
            TranscriptQuery(
                offset=index, limit=None if end is None else end - index, block_offset=block
            )
        )
        pieces = list(page.messages)
        if block and pieces:
            rest = pieces.pop(0)
            messages[-1] = Message(role=rest.role, content=[*messages[-1].content, *rest.content])
        messages += pieces
        if page.next_block is not None:
            index, block = offset + len(messages) - 1, page.next_block
            continue
        index, block = offset + len(messages), 0
        last = page.total if end is None else min(end, page.total)
        if not page.messages or index >= last:
            return TranscriptPage(messages=messages, total=page.total)


class ArchiveRequest(BaseModel):
    """Messages a compaction takes out of the model's context, to keep for people."""

    session_id: str
    first_index: int
    """Position of the first of them among all messages ever exchanged."""
    messages: list[Message]


class ArchivedSegment(BaseModel):
    """Where archived messages are kept: a claim in the worker's payload store (the
    workflow holds only this, whatever the messages' size)."""

    first_index: int
    count: int
    driver: str
    claim: dict[str, str]


class TranscriptArchive(BaseModel):
    """What the `transcript_archive` query returns."""

    segments: list[ArchivedSegment]
    summarized: bool
    """The model's context (the `transcript` query) starts with a compaction's summary."""

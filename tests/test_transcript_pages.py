"""Transcripts are read in pages of bounded size: a conversation far over Temporal's
2 MB payload limit (one message of tool results included) reaches a model call on a
worker that has never seen it, and SessionHandle.transcript() returns it whole."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

from conftest import ScriptWriter, text, tool_use, wait_for
from temporalio.client import Client

from tenure import AgentClient, SessionConfig
from tenure.models import (
    Message,
    TextBlock,
    ToolResultBlock,
    TranscriptPage,
    TranscriptQuery,
)
from tenure.models.transcript import read_transcript, transcript_page
from tenure.workers import build_worker


def conversation(seed: int) -> list[Message]:
    rng = random.Random(seed)
    messages = []
    for index in range(rng.randint(1, 12)):
        blocks = [
            ToolResultBlock(tool_use_id=f"t{index}-{n}", content="x" * rng.choice([0, 10, 300, 2500]))
            if rng.random() < 0.5 else TextBlock(text="y" * rng.choice([1, 50, 900]))
            for n in range(rng.randint(1, 6))
        ]
        messages.append(Message(role="user" if index % 2 == 0 else "assistant", content=blocks))
    return messages


async def test_pages_stay_small_and_join_to_the_whole_transcript() -> None:
    for seed in range(200):
        messages = conversation(seed)
        max_bytes = random.Random(seed).choice([1, 100, 1000, 3000, 10_000])
        pages: list[TranscriptPage] = []

        async def fetch(query: TranscriptQuery) -> TranscriptPage:
            page = transcript_page(messages, query.model_copy(update={"max_bytes": max_bytes}))
            pages.append(page)
            return page

        for offset, limit in [(0, None), (1, None), (0, 2), (len(messages) - 1, 5)]:
            offset = max(0, min(offset, len(messages) - 1))
            whole = await read_transcript(fetch, offset, limit)
            end = None if limit is None else offset + limit
            assert whole.messages == messages[offset:end], (seed, offset, limit)
            assert whole.total == len(messages)
        for page in pages:
            blocks = [b for m in page.messages for b in m.content]
            size = sum(len(b.model_dump_json()) for b in blocks)
            assert size <= max_bytes or len(blocks) == 1, (seed, size)


async def test_a_transcript_over_2_mb_reaches_a_worker_that_never_saw_it(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    line = "z" * 99 + "\n"
    for n in range(12):  # 12 Reads of about 200 KB each: one 2.4 MB message of results
        (workspace / f"big{n}.txt").write_text(line * 2000)
    model = script([
        [tool_use("Read", {"file_path": f"big{n}.txt"}) for n in range(12)],
        [text("read them all")],
        [text("still here")],
    ])
    queue = f"pages-{uuid.uuid4().hex[:8]}"
    agents = AgentClient(temporal_client, task_queue=queue)
    async with build_worker(temporal_client, task_queue=queue):
        session = await agents.start(
            SessionConfig(model=model, prompt="read", workspace=str(workspace))
        )
        await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 2, timeout=60)
    # A new worker: its transcript cache is empty, so the next model call reads all of it.
    async with build_worker(temporal_client, task_queue=queue):
        await session.send("and now?")
        status = await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 3,
                                timeout=60)
        assert status.error is None
        page = await session.transcript()
        assert page.total == 6 and len(page.messages) == 6
        results = page.messages[2].content
        assert len(results) == 12
        assert sum(len(r.content) for r in results if isinstance(r, ToolResultBlock)) > 2_000_000
        assert page.messages[-1].text == "still here"
        await session.end()
        await asyncio.wait_for(session.result(), 30)

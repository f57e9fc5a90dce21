"""Delay from a provider's first token to a session subscriber seeing it, for Anthropic's
Messages API and for OpenAI's Chat Completions.

Runs a dev server the way `tenure dev` does (same dynamic config), an in-process worker and
the fake APIs of tests/fake_anthropic.py and tests/fake_openai.py in threads of this
process, so that the servers' write times and the readers' receive times share one
`time.monotonic()` clock. Then measures, side by side in one run, for each provider:
1. first token: from the fake server writing the first text delta to the reader receiving
   it, for the provider's official SDK streaming from the server directly (the floor)
   next to a subscriber on `SessionHandle.events()` of a session on that provider
   (`claude-sonnet-4-5`, `openai:gpt-4o`; subscribed before the prompt is sent);
2. a longer message (2,000 characters at about 100 tokens/s): the time until the whole
   text is seen, the lag behind the server's last delta, and how many pieces the
   subscriber got for the text deltas the server sent (coalescing).

    python benchmarks/first_token.py [--reps 20] [--long-reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anthropic
import openai
from anthropic.types import RawContentBlockDeltaEvent
from anthropic.types import TextDelta as ApiTextDelta

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_anthropic import FakeAnthropic  # type: ignore[import-not-found]
from fake_openai import FakeOpenAI  # type: ignore[import-not-found]

from tenure import AgentClient, SessionConfig
from tenure.client.session import SessionHandle
from tenure.devserver import free_port, start_dev_server
from tenure.models.events import MessageAdded, TextDelta
from tenure.providers import anthropic as anthropic_provider
from tenure.providers import openai as openai_provider
from tenure.workers import build_worker, connect

SHORT = "Hello! I can help with that. Let me look at the repository first."
SHORT_CHUNK_CHARS, SHORT_CHUNK_DELAY = 8, 0.02
LONG_CHARS = 2000
LONG_CHUNK_CHARS, LONG_CHUNK_DELAY = 8, 0.02
"""8 characters (about 2 tokens) every 20 ms: about 100 tokens/s, a fast model."""
TIME_TO_FIRST_TOKEN = 0.25
"""Seconds the fake server waits before answering, as a model does (real ones take longer)."""
SETTLE = 0.2
"""Seconds between subscribing and sending the prompt, as a person takes to type one."""


@dataclass
class Run:
    """One streamed reply: when the server wrote its text deltas, when the reader got them."""

    written: list[float]
    received: list[float]
    text: str
    expected: str

    @property
    def first_token(self) -> float:
        return self.received[0] - self.written[0]

    @property
    def last_token(self) -> float:
        return self.received[-1] - self.written[-1]

    @property
    def whole_text(self) -> float:
        return self.received[-1] - self.written[0]


@dataclass
class Reader:
    received: list[float] = field(default_factory=list)
    text: str = ""

    def add(self, text: str) -> None:
        self.received.append(time.monotonic())
        self.text += text


class Side(Protocol):
    """A provider's fake server, its SDK reading a stream directly, and a session on it."""

    name: str
    model: str

    def add(self, text: str, chunk_chars: int, chunk_delay: float) -> None: ...
    def requests(self) -> list[Any]: ...
    def written(self, request: Any) -> list[float]: ...
    async def sdk_read(self, reader: Reader) -> None: ...


class AnthropicSide:
    name, model = "anthropic", "claude-sonnet-4-5"

    def __init__(self, fake: FakeAnthropic) -> None:
        self.fake = fake
        self.sdk = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="benchmark", max_retries=0)

    def add(self, text: str, chunk_chars: int, chunk_delay: float) -> None:
        """A reply paced like the real API: a pause, then deltas `chunk_delay` apart,
        and the closing events at once after the last delta."""
        self.fake.add(FakeAnthropic.stream(
            [text], chunk_chars=chunk_chars, delay_s=TIME_TO_FIRST_TOKEN,
            chunk_delay_s=chunk_delay, pace_deltas_only=True))

    def requests(self) -> list[Any]:
        return list(self.fake.requests)

    def written(self, request: Any) -> list[float]:
        return [e.at for e in list(self.fake.sent)
                if e.request is request and e.event == "content_block_delta"
                and e.data["delta"]["type"] == "text_delta"]

    async def sdk_read(self, reader: Reader) -> None:
        stream = await self.sdk.messages.create(
            model=self.model, max_tokens=8192, stream=True,
            messages=[{"role": "user", "content": "go"}],
        )
        async with stream:
            async for event in stream:
                delta = event.delta if isinstance(event, RawContentBlockDeltaEvent) else None
                if isinstance(delta, ApiTextDelta):
                    reader.add(delta.text)


class OpenAISide:
    name, model = "openai", "openai:gpt-4o"

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        self.sdk = openai.AsyncOpenAI(base_url=fake.base_url, api_key="benchmark", max_retries=0)

    def add(self, text: str, chunk_chars: int, chunk_delay: float) -> None:
        self.fake.add(FakeOpenAI.stream(
            text, chunk_chars=chunk_chars, delay_s=TIME_TO_FIRST_TOKEN, chunk_delay_s=chunk_delay))

    def requests(self) -> list[Any]:
        return list(self.fake.requests)

    def written(self, request: Any) -> list[float]:
        return [e.at for e in list(self.fake.sent) if e.request is request]

    async def sdk_read(self, reader: Reader) -> None:
        stream = await self.sdk.chat.completions.create(
            model="gpt-4o", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "go"}],
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                reader.add(chunk.choices[0].delta.content)


def long_text() -> str:
    words = "the workflow streams each coalesced piece of model output to its subscribers "
    return (words * (LONG_CHARS // len(words) + 1))[:LONG_CHARS]


async def sdk_run(side: Side, text: str, chunk_chars: int, chunk_delay: float) -> Run:
    """The floor: the SDK reading the stream itself, as the provider inside model_call does."""
    side.add(text, chunk_chars, chunk_delay)
    reader = Reader()
    await side.sdk_read(reader)
    return Run(side.written(side.requests()[-1]), reader.received, reader.text, text)


async def session_run(side: Side, agents: AgentClient, workspace: Path, text: str,
                      chunk_chars: int, chunk_delay: float) -> Run:
    """A session whose subscriber is on `handle.events()` before the prompt is sent."""
    side.add(text, chunk_chars, chunk_delay)
    handle = await agents.start(SessionConfig(model=side.model, workspace=str(workspace)),
                                session_id=f"first-token-{uuid.uuid4().hex[:12]}")
    reader = Reader()
    subscribed = asyncio.Event()
    answered = asyncio.Event()

    async def subscribe(handle: SessionHandle) -> None:
        async for item in handle.events(from_offset=0, deltas=True):
            subscribed.set()
            if isinstance(item.event, TextDelta):
                reader.add(item.event.text)
            elif isinstance(item.event, MessageAdded) and item.event.kind == "assistant":
                answered.set()

    subscriber = asyncio.create_task(subscribe(handle))
    await asyncio.wait_for(subscribed.wait(), 10)
    await asyncio.sleep(SETTLE)
    requests_before = len(side.requests())
    await handle.send("go")
    await asyncio.wait_for(answered.wait(), 60)
    await handle.end()
    await asyncio.wait_for(subscriber, 10)
    (request,) = side.requests()[requests_before:]
    return Run(side.written(request), reader.received, reader.text, text)


def check(run: Run) -> Run:
    if run.text != run.expected:
        raise AssertionError(f"reader saw {run.text[:60]!r}..., not the text sent")
    return run


def p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def measure(side: Side, agents: AgentClient, workspace: Path, reps: int,
                  long_reps: int) -> None:
    sdk_name = f"{side.name} SDK reading the stream"
    reader_name = f"subscriber on handle.events() ({side.model})"
    short = (SHORT, SHORT_CHUNK_CHARS, SHORT_CHUNK_DELAY)
    long = (long_text(), LONG_CHUNK_CHARS, LONG_CHUNK_DELAY)
    await sdk_run(side, *short)  # warm up both paths
    await session_run(side, agents, workspace, *short)

    sdk_runs, session_runs = [], []
    for _ in range(reps):  # interleaved, so drift hits both alike
        sdk_runs.append(check(await sdk_run(side, *short)))
        session_runs.append(check(await session_run(side, agents, workspace, *short)))
    base = [r.first_token for r in sdk_runs]
    ours = [r.first_token for r in session_runs]
    print(f"\n{side.name}: first token, server writes the first text delta -> reader "
          f"receives it ({reps} runs each)\n")
    print("| reader | median ms | p90 ms | max ms | ratio to SDK (median) |")
    print("|---|---:|---:|---:|---:|")
    for name, values in ((sdk_name, base), (reader_name, ours)):
        print(f"| {name} | {ms(statistics.median(values))} | {ms(p90(values))} | "
              f"{ms(max(values))} | "
              f"{statistics.median(values) / statistics.median(base):.1f} |")

    long_sdk, long_session = [], []
    for _ in range(long_reps):
        long_sdk.append(check(await sdk_run(side, *long)))
        long_session.append(check(await session_run(side, agents, workspace, *long)))
    chunks = len(long_session[0].written)
    server_s = statistics.median(r.written[-1] - r.written[0] for r in long_sdk)
    print(f"\n{side.name}: a {LONG_CHARS:,}-character message, {LONG_CHUNK_CHARS} characters "
          f"every {LONG_CHUNK_DELAY * 1000:.0f} ms ({chunks} text deltas, the server writes "
          f"them over {server_s:.2f} s; median of {long_reps} runs)\n")
    print("| reader | first token ms | whole text s | ratio to SDK "
          "| lag after last delta ms | pieces received | deltas per piece |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    base_whole = statistics.median(r.whole_text for r in long_sdk)
    for name, runs in ((sdk_name, long_sdk), (reader_name, long_session)):
        pieces = statistics.median(len(r.received) for r in runs)
        whole = statistics.median(r.whole_text for r in runs)
        print(f"| {name} | {ms(statistics.median(r.first_token for r in runs))} | "
              f"{whole:.2f} | {whole / base_whole:.2f} | "
              f"{ms(statistics.median(r.last_token for r in runs))} | "
              f"{pieces:.0f} | {chunks / pieces:.1f} |")


async def main(reps: int, long_reps: int) -> None:
    # The SDK warns that claude-sonnet-4-5 is deprecated; the fake server does not care.
    warnings.filterwarnings("ignore", message="The model .* is deprecated")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic() as claude, FakeOpenAI() as gpt:
        workspace = Path(tmp)
        os.environ.update({
            "ANTHROPIC_BASE_URL": claude.base_url, "ANTHROPIC_API_KEY": "benchmark",
            "OPENAI_BASE_URL": gpt.base_url, "OPENAI_API_KEY": "benchmark",
        })
        anthropic_provider.default_client.cache_clear()
        openai_provider.default_client.cache_clear()
        sides: list[AnthropicSide | OpenAISide] = [AnthropicSide(claude), OpenAISide(gpt)]
        server = start_dev_server(port=free_port(), ui_port=None, ephemeral=True)
        try:
            client = await connect(server.address)
            queue = "bench-first-token"
            async with build_worker(client, task_queue=queue):
                agents = AgentClient(client, task_queue=queue)
                for side in sides:
                    await measure(side, agents, workspace, reps, long_reps)
        finally:
            server.stop()
            for side in sides:
                await side.sdk.close()
    print(f"\n({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="first-token runs per reader")
    parser.add_argument("--long-reps", type=int, default=3, help="long-message runs per reader")
    args = parser.parse_args()
    asyncio.run(main(args.reps, args.long_reps))

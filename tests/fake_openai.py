"""A local fake of OpenAI's Chat Completions API (`POST /v1/chat/completions`), streaming
as the real one does: `data: {chunk}` lines of `chat.completion.chunk` objects, a final
chunk with `usage` when `stream_options.include_usage` is set, then `data: [DONE]`.

Queue replies with `add(...)`; each request takes the oldest and is recorded in
`requests`, so tests check what the official `openai` SDK sent. A reply may be paced
(`delay_s` before its first chunk, `chunk_delay_s` before each text chunk), and `sent`
records when each text chunk was written, for measuring delivery latency."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from fake_anthropic import TITLE

from tenure.activities.titles import TITLE_PROMPT

_ids = itertools.count(1)


@dataclass
class ToolCall:
    name: str
    arguments: str
    """The arguments as the model writes them: JSON text (or not, to play a bad model)."""
    id: str = field(default_factory=lambda: f"call_fake_{next(_ids)}")


@dataclass
class OpenAIReply:
    kind: Literal["stream", "error", "cut_midway"]
    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error_message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    chunk_chars: int = 6
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0


@dataclass
class OpenAIRequest:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class SentText:
    """A chunk of text the server wrote, and `time.monotonic()` just before it did."""

    request: OpenAIRequest
    text: str
    at: float


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[OpenAIRequest] = []
        self.title_requests: list[OpenAIRequest] = []
        self.sent: list[SentText] = []
        self._replies: deque[OpenAIReply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def add(self, *replies: OpenAIReply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _take(self, request: OpenAIRequest) -> OpenAIReply | None:
        """The next reply; a session's title request is answered on the side (with
        fake_anthropic.TITLE) and kept in `title_requests`."""
        with self._lock:
            if TITLE_PROMPT in json.dumps(request.body.get("messages", [])[:1]):
                self.title_requests.append(request)
                return FakeOpenAI.stream(TITLE)
            self.requests.append(request)
            return self._replies.popleft() if self._replies else None

    @staticmethod
    def stream(
        text: str = "", *, tool_calls: list[ToolCall] | None = None, reasoning: str = "",
        usage: dict[str, Any] | None = None, chunk_chars: int = 6, delay_s: float = 0.0,
        chunk_delay_s: float = 0.0,
    ) -> OpenAIReply:
        calls = tool_calls or []
        return OpenAIReply(
            kind="stream", text=text, reasoning=reasoning, tool_calls=calls,
            finish_reason="tool_calls" if calls else "stop",
            usage=usage or {"prompt_tokens": 12, "completion_tokens": 7},
            chunk_chars=chunk_chars, delay_s=delay_s, chunk_delay_s=chunk_delay_s,
        )

    @staticmethod
    def error(status: int, message: str, headers: dict[str, str] | None = None) -> OpenAIReply:
        return OpenAIReply(kind="error", status=status, error_message=message,
                           headers=dict(headers or {}))

    @staticmethod
    def cut_midway(text: str = "Let me think about th") -> OpenAIReply:
        """A 200 stream that drops the connection before its end."""
        return OpenAIReply(kind="cut_midway", text=text)


def _chunks(reply: OpenAIReply, model: str, with_usage: bool) -> list[dict[str, Any]]:
    base = {"id": f"chatcmpl-fake-{next(_ids)}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    step = reply.chunk_chars
    out += [chunk({"reasoning_content": reply.reasoning[i:i + step]})
            for i in range(0, len(reply.reasoning), step)]
    out += [chunk({"content": reply.text[i:i + step]}) for i in range(0, len(reply.text), step)]
    for index, call in enumerate(reply.tool_calls):
        out.append(chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                          "function": {"name": call.name, "arguments": ""}}]}))
        out += [chunk({"tool_calls": [{"index": index,
                                       "function": {"arguments": call.arguments[i:i + step]}}]})
                for i in range(0, len(call.arguments), step)]
    if reply.kind == "cut_midway":
        return out
    out.append(chunk({}, reply.finish_reason))
    if with_usage:
        usage = {**reply.usage}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        out.append({**base, "choices": [], "usage": usage})
    return out


def _text_of(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or [{}]
    return str(choices[0].get("delta", {}).get("content") or "")


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            body: dict[str, Any] = json.loads(raw or b"{}")
            request = OpenAIRequest(self.path, body, {k.lower(): v for k, v in self.headers.items()})
            reply = fake._take(request)
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            elif reply is None:
                self._json(500, {"error": {"message": "FakeOpenAI: no reply queued", "type": "server_error"}})
            elif reply.kind == "error":
                self._json(reply.status, {"error": {"message": reply.error_message,
                                                    "type": "rate_limit_exceeded"
                                                    if reply.status == 429 else "api_error"}},
                           reply.headers)
            else:
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self._sse(_chunks(reply, str(body.get("model")), include), reply, request)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _sse(self, chunks: list[dict[str, Any]], reply: OpenAIReply, request: OpenAIRequest) -> None:
            end = reply.kind != "cut_midway"
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            time.sleep(reply.delay_s)
            for data in [*chunks, "[DONE]"] if end else chunks:
                text = "" if isinstance(data, str) else _text_of(data)
                if text and reply.chunk_delay_s:
                    time.sleep(reply.chunk_delay_s)
                line = f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
                if text:
                    with fake._lock:
                        fake.sent.append(SentText(request, text, time.monotonic()))
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            if end:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            else:
                self.close_connection = True

    return Handler

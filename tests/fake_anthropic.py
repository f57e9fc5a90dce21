"""A real local HTTP server that speaks Anthropic's Messages API wire format.

Tests script its replies in order and point the official SDK (or a whole worker, through
ANTHROPIC_BASE_URL) at `fake.base_url`:

    with FakeAnthropic() as fake:
        fake.add(FakeAnthropic.stream(["Hello!"]))
        fake.add(FakeAnthropic.error(529, "overloaded_error", "Overloaded"))
        ...
        assert fake.requests[0].body["model"] == "claude-sonnet-4-5"

Each POST /v1/messages takes the next reply from a FIFO. A `stream: true` request gets the
SSE event sequence the real API sends; other requests get the plain JSON message. With no
reply left, the server answers 500 with a message saying so, so a test that forgot one
fails loudly. `fake.sent` records each SSE event written, with the `time.monotonic()` just
before it went to the socket (for latency benchmarks).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from pydantic import BaseModel

from tenure.activities.titles import TITLE_PROMPT

TITLE = "Fake title"
"""What the fake answers a session's title request with."""

from tenure.providers.deprecation import DEPRECATED_MODELS

DEPRECATED_MODEL, DEPRECATED_END = next(iter(DEPRECATED_MODELS.items()))
"""A model the installed SDK lists as deprecated, and its end of life (the list changes
with SDK releases, so tests take it from there)."""

Block = dict[str, Any] | BaseModel | str
"""A content block in Anthropic's shape, a tenure block model, or a string (a text block).

A `tool_use` block may omit `id` (one is made up) and may give `input_json`, raw text sent
as the partial JSON instead of `input`, to play a model that emits malformed tool input."""

_ids = itertools.count(1)


@dataclass
class FakeReply:
    """One scripted reply; build it with the FakeAnthropic static methods."""

    kind: Literal["message", "error", "error_midway", "cut_midway"]
    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    chunk_chars: int = 8
    status: int = 200
    error_type: str = ""
    error_message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    """Seconds to wait before answering at all."""
    chunk_delay_s: float = 0.0
    """Seconds to wait before each SSE event, for a slowly streaming model."""
    pace_deltas_only: bool = False
    """Wait `chunk_delay_s` only before content deltas and send the other events at once,
    as the real API does (it closes a message with three events in a row)."""


@dataclass
class FakeRequest:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    """Header names in lower case."""


@dataclass
class SentEvent:
    """One SSE event the server wrote, for measuring delivery latency."""

    request: FakeRequest
    """The request whose streamed response carried it."""
    event: str
    data: Any
    at: float
    """`time.monotonic()` just before the event was written to the socket."""


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[FakeRequest] = []
        self.title_requests: list[FakeRequest] = []
        self.unscripted = 0
        """Requests that found no reply queued (and got a 500)."""
        self.sent: list[SentEvent] = []
        """Every SSE event written, in order, with when it was written."""
        self._replies: deque[FakeReply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeAnthropic:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeAnthropic is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- scripting ----------------------------------------------------------------------

    def add(self, *replies: FakeReply) -> None:
        """Queue replies; each request takes the oldest one."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def remaining(self) -> int:
        """Replies queued and not yet taken."""
        with self._lock:
            return len(self._replies)

    def _take(self, request: FakeRequest) -> FakeReply | None:
        """Record a request and hand out the next reply (None for other routes or when the
        queue is empty). A session's title request is answered on the side, with
        TITLE, and kept in `title_requests`: tests script the session's own calls."""
        with self._lock:
            if TITLE_PROMPT in json.dumps(request.body.get("system", "")):
                self.title_requests.append(request)
                return FakeAnthropic.stream([TITLE])
            self.requests.append(request)
            if request.path.split("?")[0] != "/v1/messages":
                return None
            if not self._replies:
                self.unscripted += 1
                return None
            return self._replies.popleft()

    @staticmethod
    def stream(
        content: list[Block],
        stop_reason: str | None = None,
        usage: dict[str, int] | None = None,
        chunk_chars: int = 8,
        delay_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        pace_deltas_only: bool = False,
    ) -> FakeReply:
        """An assistant message: streamed as SSE for `stream: true`, else plain JSON.

        Text, thinking and tool-input JSON are cut into `chunk_chars`-long deltas, with
        `chunk_delay_s` before each event (only before each delta with `pace_deltas_only`).
        `stop_reason` defaults to `tool_use` when there is a tool_use block, else `end_turn`;
        `usage` may set input_tokens, output_tokens, cache_read_input_tokens and
        cache_creation_input_tokens.
        """
        blocks = [_block(b) for b in content]
        if stop_reason is None:
            has_tool = any(b["type"] == "tool_use" for b in blocks)
            stop_reason = "tool_use" if has_tool else "end_turn"
        return FakeReply(
            kind="message",
            content=blocks,
            stop_reason=stop_reason,
            usage=_usage(usage),
            chunk_chars=chunk_chars,
            delay_s=delay_s,
            chunk_delay_s=chunk_delay_s,
            pace_deltas_only=pace_deltas_only,
        )

    @staticmethod
    def error(
        status: int,
        error_type: str,
        message: str,
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> FakeReply:
        """An HTTP error with Anthropic's error body, e.g. (429, "rate_limit_error", ...,
        {"retry-after": "7"}) or (529, "overloaded_error", "Overloaded")."""
        return FakeReply(
            kind="error",
            status=status,
            error_type=error_type,
            error_message=message,
            headers=dict(headers or {}),
            delay_s=delay_s,
        )

    @staticmethod
    def stream_error_midway(
        content: list[Block] | None = None,
        error_type: str = "overloaded_error",
        message: str = "Overloaded",
        chunk_chars: int = 8,
        delay_s: float = 0.0,
    ) -> FakeReply:
        """A 200 stream that starts (message_start, then `content`'s first block, partly
        streamed) and then sends an `event: error`, as the API does when overloaded midway."""
        return FakeReply(
            kind="error_midway",
            content=[_block(b) for b in (content or ["Let me think about th"])],
            usage=_usage(None),
            error_type=error_type,
            error_message=message,
            chunk_chars=chunk_chars,
            delay_s=delay_s,
        )

    @staticmethod
    def stream_cut_midway(
        content: list[Block] | None = None, chunk_chars: int = 8, delay_s: float = 0.0
    ) -> FakeReply:
        """A 200 stream that starts like stream_error_midway and then drops the connection
        without ending the response, as a network failure or a dying proxy would."""
        return FakeReply(
            kind="cut_midway",
            content=[_block(b) for b in (content or ["Let me think about th"])],
            usage=_usage(None),
            chunk_chars=chunk_chars,
            delay_s=delay_s,
        )


# -- building replies -------------------------------------------------------------------


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, str):
        return {"type": "text", "text": block}
    data = block.model_dump(exclude_none=True) if isinstance(block, BaseModel) else dict(block)
    if data["type"] == "tool_use":
        data.setdefault("id", f"toolu_fake_{next(_ids)}")
        data.setdefault("input", {})
    if data["type"] == "thinking":
        data.setdefault("signature", f"sig_fake_{next(_ids)}")
    return data


def _usage(usage: dict[str, int] | None) -> dict[str, int]:
    base = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    return {**base, **(usage or {})}


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(size, 1))] or [""]


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _message(reply: FakeReply, model: str) -> dict[str, Any]:
    content = [{k: v for k, v in b.items() if k != "input_json"} for b in reply.content]
    return {
        "id": f"msg_fake_{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": reply.usage,
    }


def _block_events(index: int, block: dict[str, Any], size: int) -> list[tuple[str, Any]]:
    """content_block_start, its deltas and content_block_stop, as (event, data) pairs."""
    kind = block["type"]
    if kind == "text":
        start: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": c} for c in _chunks(block["text"], size)]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": c} for c in _chunks(block["thinking"], size)
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = block.get("input_json", json.dumps(block["input"]))
        deltas = [{"type": "input_json_delta", "partial_json": c} for c in _chunks(raw, size)]
    else:
        raise ValueError(f"FakeAnthropic cannot stream a {kind!r} block")
    events: list[tuple[str, Any]] = [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
    ]
    for delta in deltas:
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _stream_events(reply: FakeReply, model: str) -> list[tuple[str, Any]]:
    started = {
        **_message(reply, model),
        "content": [],
        "stop_reason": None,
        "usage": {**reply.usage, "output_tokens": 1},
    }
    events: list[tuple[str, Any]] = [
        ("message_start", {"type": "message_start", "message": started}),
        ("ping", {"type": "ping"}),
    ]
    if reply.kind in ("error_midway", "cut_midway"):
        first = _block_events(0, reply.content[0], reply.chunk_chars)
        events += first[: max(2, len(first) // 2)]
        if reply.kind == "error_midway":
            events.append(("error", _error_body(reply.error_type, reply.error_message)))
        return events
    for index, block in enumerate(reply.content):
        events += _block_events(index, block, reply.chunk_chars)
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": reply.usage["output_tokens"]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


# -- the HTTP handler -------------------------------------------------------------------


def _handler_for(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body: dict[str, Any] = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"__unparsable__": raw.decode(errors="replace")}
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = FakeRequest(path=self.path, body=body, headers=headers)
            reply = fake._take(request)
            if self.path.split("?")[0] != "/v1/messages":
                error = _error_body("not_found_error", f"FakeAnthropic: no route {self.path}")
                self._json(404, error)
                return
            if reply is None:
                message = (
                    f"FakeAnthropic: no scripted reply left for request #{len(fake.requests)} "
                    f"(add one with fake.add(...))"
                )
                self._json(500, _error_body("api_error", message))
                return
            if reply.delay_s:
                time.sleep(reply.delay_s)
            try:
                if reply.kind == "error":
                    body_out = _error_body(reply.error_type, reply.error_message)
                    self._json(reply.status, body_out, reply.headers)
                elif body.get("stream"):
                    events = _stream_events(reply, str(body.get("model", "")))
                    end = reply.kind != "cut_midway"
                    self._sse(events, reply, end=end, request=request)
                elif reply.kind == "error_midway":
                    self._json(529, _error_body(reply.error_type, reply.error_message))
                elif reply.kind == "cut_midway":
                    self.close_connection = True  # hang up without answering
                else:
                    self._json(200, _message(reply, str(body.get("model", ""))))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (an interrupt): nothing to answer

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.send_header("request-id", f"req_fake_{next(_ids)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _sse(
            self, events: list[tuple[str, Any]], reply: FakeReply, end: bool, request: FakeRequest
        ) -> None:
            """Send SSE events in a chunked body; without `end`, drop the connection after."""
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("request-id", f"req_fake_{next(_ids)}")
            self.end_headers()
            for name, data in events:
                paced = not reply.pace_deltas_only or name == "content_block_delta"
                if reply.chunk_delay_s and paced:
                    time.sleep(reply.chunk_delay_s)
                chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                sent = SentEvent(request, name, data, time.monotonic())
                with fake._lock:
                    fake.sent.append(sent)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            if end:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            else:
                self.close_connection = True

    return Handler

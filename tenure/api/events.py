"""GET /sessions/{id}/events: the session's event stream as server-sent events.

`id:` is the event's stream offset, `event:` its type, `data:` its JSON; model deltas
are included (apply them as tenure.client.LiveOutput does). Without `Last-Event-ID` the
stream starts at offset 0; with it, right after that offset. It ends after
`session_end`, or when the caller's token expires (the viewer reconnects with a fresh
one); a comment keeps an idle connection open.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from starlette.requests import Request
from starlette.responses import StreamingResponse

from tenure.api.context import ApiContext
from tenure.api.feeds import FeedError
from tenure.api.params import resume_offset

RECONNECT_MS = 1000
"""How soon a browser's EventSource reconnects after the connection drops."""
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventRoutes:
    def __init__(self, context: ApiContext) -> None:
        self.context = context

    async def stream(self, request: Request) -> StreamingResponse:
        caller, handle = await self.context.session(request, "sessions:read")
        offset = resume_offset(request)
        return StreamingResponse(
            self._frames(handle.id, offset, caller.expires_at),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )

    async def _frames(
        self, session_id: str, offset: int, expires_at: float | None
    ) -> AsyncIterator[bytes]:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        watch = self.context.feeds.watch(session_id, offset, self.context.keepalive)
        async with aclosing(watch) as frames:
            try:
                async for frame in frames:
                    if expires_at is not None and time.time() > expires_at:
                        yield _stream_error("the token has expired")
                        return
                    yield frame.encode() if frame is not None else b": keep-alive\n\n"
            except FeedError as e:
                yield _stream_error(str(e))


def _stream_error(message: str) -> bytes:
    """Why the stream ends early (`stream_error`: `error` is an event type of sessions)."""
    return f"event: stream_error\ndata: {json.dumps({'error': message})}\n\n".encode()

"""GET /sessions/{id}/events: the session's event stream as server-sent events.

`id:` is the event's stream offset, `event:` its type, `data:` its JSON; model deltas
are included (apply them as tenure.client.LiveOutput does). Without `Last-Event-ID` the
stream starts at offset 0; with it, right after that offset. It ends after
`session_end`; a comment keeps an idle connection open.
"""

from __future__ import annotations

import json
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
        _, handle = await self.context.session(request, "sessions:read")
        offset = resume_offset(request)
        return StreamingResponse(
            self._frames(handle.id, offset), media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )

    async def _frames(self, session_id: str, offset: int) -> AsyncIterator[bytes]:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        watch = self.context.feeds.watch(session_id, offset, self.context.keepalive)
        async with aclosing(watch) as frames:
            try:
                async for frame in frames:
                    yield frame.encode() if frame is not None else b": keep-alive\n\n"
            except FeedError as e:
                yield f"event: stream_error\ndata: {json.dumps({'error': str(e)})}\n\n".encode()

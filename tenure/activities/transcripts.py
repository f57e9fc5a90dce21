"""The worker's copy of each session's transcript, so that model calls need not carry the
whole conversation in their input: kept current by the tail each call brings, or, when
the copy does not fit that tail, through the `transcript` query."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.models import Message, ModelCallInput, TranscriptPage, TranscriptQuery
from tenure.models.transcript import read_transcript

MAX_SESSIONS = 256
QUERY_TIMEOUT = timedelta(seconds=30)
"""A transcript query that gets no answer in this time fails the attempt (to be retried)
instead of hanging the model call."""


class TranscriptCache:
    def __init__(self) -> None:
        self._sessions: OrderedDict[str, tuple[tuple[str, int, int], list[Message]]] = (
            OrderedDict()
        )
        """session -> ((run, compactions, the model call it is current for), messages):
        one copy per session, so a session's copy from an earlier run or from before a
        compaction is replaced, not kept beside it."""

    async def messages(self, call: ModelCallInput) -> list[Message]:
        """The first `transcript_length` messages of the call's session (after its
        compactions: each one rewrites the start of the transcript, so the cached copy is
        dropped). The call's tail extends the copy made for the previous call; a copy that
        is older, or missing, is brought up to date through the query."""
        (run_id, compactions, revision), cached = self._sessions.pop(
            call.session_id, (("", 0, 0), [])
        )
        if (run_id, compactions) != (call.run_id, call.compactions):
            revision, cached = 0, []
        length = call.transcript_length
        if call.revision and revision == call.revision and len(cached) == length:
            messages = cached  # another attempt of the same call
        elif call.tail is not None and call.tail_from + len(call.tail) == length and (
            call.tail_from == 0 or (revision == call.tail_base and len(cached) >= call.tail_from)
        ):
            messages = cached[: call.tail_from] + call.tail
        else:
            messages = await self._fetch(call.session_id, call.run_id, length, cached)
        self._sessions[call.session_id] = ((call.run_id, call.compactions, call.revision), messages)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return messages

    async def _fetch(
        self, session_id: str, run_id: str, length: int, cached: list[Message]
    ) -> list[Message]:
        """The first `length` messages, through the query. Only the new tail is fetched;
        the last cached message is fetched again because the workflow may have added
        blocks to it (a user message merged after an interrupt)."""
        keep = max(0, min(len(cached), length) - 1)
        handle = activity.client().get_workflow_handle(session_id, run_id=run_id)

        async def fetch(query: TranscriptQuery) -> TranscriptPage:
            page: TranscriptPage = await handle.query(
                "transcript", query, result_type=TranscriptPage, rpc_timeout=QUERY_TIMEOUT
            )
            return page

        # Page by page: no query result comes near Temporal's payload limits, however
        # large the conversation has grown.
        tail = await read_transcript(fetch, keep, length - keep)
        if tail.total < length or keep + len(tail.messages) != length:
            raise ApplicationError(
                f"Transcript of {session_id} has {tail.total} messages, expected {length}"
            )
        return cached[:keep] + tail.messages

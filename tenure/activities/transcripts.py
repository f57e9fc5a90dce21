"""The worker's copy of each session's transcript, kept current through the `transcript`
query so that model calls need not carry the whole conversation in their input."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.models import Message, TranscriptPage, TranscriptQuery
from tenure.models.transcript import read_transcript

MAX_SESSIONS = 256
QUERY_TIMEOUT = timedelta(seconds=30)
"""A transcript query that gets no answer in this time fails the attempt (to be retried)
instead of hanging the model call."""


class TranscriptCache:
    def __init__(self) -> None:
        self._sessions: OrderedDict[tuple[str, str, int], list[Message]] = OrderedDict()

    async def messages(
        self, session_id: str, run_id: str, length: int, compactions: int = 0
    ) -> list[Message]:
        """The session's first `length` messages (after `compactions` compactions: each
        one rewrites the start of the transcript, so the cached copy is dropped).

        Only the new tail is fetched. The last cached message is fetched again because the
        workflow may have added blocks to it (a user message merged after an interrupt).
        """
        key = (session_id, run_id, compactions)
        cached = self._sessions.pop(key, [])
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
        messages = cached[:keep] + tail.messages
        self._sessions[key] = messages
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return messages

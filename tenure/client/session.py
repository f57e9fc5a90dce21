"""SessionHandle: one agent session, as a service or a UI drives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, get_args

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.contrib.workflow_streams import WorkflowStreamClient
from temporalio.exceptions import ApplicationError

from tenure.models import (
    CompactRequest,
    Message,
    PendingQuestion,
    PermissionResponse,
    SessionOutcome,
    SessionStatus,
    TranscriptPage,
    TranscriptQuery,
    UserAnswer,
    UserMessage,
)
from tenure.client.archive import read_archived
from tenure.client.stream import follow_stream, read_stream
from tenure.models.transcript import TranscriptArchive, read_transcript
from tenure.models.events import (
    DELTAS_TOPIC,
    EVENTS_TOPIC,
    SessionEnded,
    SessionEvent,
    session_event,
)

_EVENT_TYPES = {
    model.model_fields["type"].default for model in get_args(get_args(SessionEvent)[0])
}


@dataclass(frozen=True)
class StreamedEvent:
    offset: int
    """The event's position in the session's stream."""
    event: SessionEvent

    @property
    def next_offset(self) -> int:
        """Where to resume after this event: `events(from_offset=item.next_offset)`."""
        return self.offset + 1


def _sent(response: PermissionResponse | UserAnswer) -> dict[str, Any]:
    """A decision or answer as a signal payload, without the fields left unset: a worker
    older than a field (`origin`) then still takes what leaves it out."""
    return response.model_dump(mode="json", exclude_none=True)


class UnknownRequestError(LookupError):
    """A permission or question request id that the session is not waiting on."""


class SessionHandle:
    def __init__(self, handle: WorkflowHandle[Any, Any], client: Client) -> None:
        self.workflow = handle
        self.client = client

    @property
    def id(self) -> str:
        return self.workflow.id

    def subagent(self, session_id: str) -> SessionHandle:
        """The handle of one of this session's subagents (`status().subagents`, the
        `subagent_start` events): a session like any other."""
        return SessionHandle(
            self.client.get_workflow_handle(session_id, result_type=SessionOutcome), self.client
        )

    async def send(self, text: str) -> None:
        """Queue a user message: it steers a running turn or starts the next one."""
        await self.workflow.signal("user_message", UserMessage(text=text))

    async def approve(
        self,
        request_id: str,
        *,
        scope: str = "once",
        decided_by: str | None = None,
        origin: str | None = None,
    ) -> None:
        await self._decide(request_id, "allow", scope=scope, decided_by=decided_by, origin=origin)

    async def deny(
        self,
        request_id: str,
        *,
        reason: str | None = None,
        decided_by: str | None = None,
        origin: str | None = None,
    ) -> None:
        await self._decide(request_id, "deny", reason=reason, decided_by=decided_by, origin=origin)

    async def _decide(self, request_id: str, decision: str, **fields: Any) -> None:
        status = await self._open_status("decision")
        pending = [p.request_id for p in status.pending_permissions]
        if not pending:
            raise UnknownRequestError(
                f"Session {self.id} is not waiting for a permission decision "
                f"(it is {status.state.describe()})"
            )
        if request_id not in pending:
            raise UnknownRequestError(
                f"Session {self.id} has no pending permission request {request_id!r} "
                f"(pending: {', '.join(pending)})"
            )
        response = PermissionResponse.model_validate(
            {"request_id": request_id, "decision": decision, **fields}
        )
        await self.workflow.signal("permission_response", _sent(response))

    async def pending_question(self, request_id: str) -> PendingQuestion:
        """The questions of request `request_id`, which the session waits to have
        answered (else UnknownRequestError, saying why)."""
        status = await self._open_status("answer")
        if not status.pending_questions:
            raise UnknownRequestError(
                f"Session {self.id} is not waiting for an answer (it is {status.state.describe()})"
            )
        for pending in status.pending_questions:
            if pending.request_id == request_id:
                return pending
        raise UnknownRequestError(f"Session {self.id} has no pending question {request_id!r}")

    async def answer(
        self,
        request_id: str,
        answers: dict[str, str],
        *,
        decided_by: str | None = None,
        origin: str | None = None,
    ) -> None:
        await self.pending_question(request_id)
        answer = UserAnswer(
            request_id=request_id, answers=answers, decided_by=decided_by, origin=origin
        )
        await self.workflow.signal("user_answer", _sent(answer))

    async def interrupt(self) -> None:
        """Stop the current turn now, keep what was produced, go idle."""
        await self.workflow.signal("interrupt")

    async def compact(self, instructions: str | None = None) -> None:
        """Compact the conversation now (before the next model call if a turn is at
        work): the model summarizes it, following `instructions` if given."""
        await self.workflow.signal("compact", CompactRequest(instructions=instructions))

    async def end(self) -> None:
        """Finish the session cleanly."""
        await self.workflow.signal("end_session")

    async def is_running(self) -> bool:
        """Whether the session's workflow is still open. The server answers this, not a
        worker: a finished session is told apart even when no worker could replay it."""
        description = await self.workflow.describe()
        return description.status == WorkflowExecutionStatus.RUNNING

    async def takes_messages(self) -> bool:
        """Whether a message sent now would be taken: the session runs and is not ending."""
        return await self.is_running() and (await self.status()).state.kind != "done"

    async def _open_status(self, awaited: str) -> SessionStatus:
        """The status of a session that is still open, else UnknownRequestError: a session
        that has ended waits for no `awaited` (decision, answer)."""
        if await self.is_running():
            status = await self.status()
            if status.state.kind != "done":
                return status
        raise UnknownRequestError(f"Session {self.id} has ended: it waits for no {awaited}")

    async def status(self) -> SessionStatus:
        status: SessionStatus = await self.workflow.query("status", result_type=SessionStatus)
        return status

    async def transcript(
        self, offset: int = 0, limit: int | None = None, *, full: bool = False
    ) -> TranscriptPage:
        """Messages from `offset` on (at most `limit`), read page by page so that a long
        transcript never has to fit in one query result.

        What the model sees now, by default: after a compaction, its summary and the
        messages since. `full=True` gives every message ever exchanged instead (those
        compaction took out of the context are read back from the payload store).
        """

        async def fetch(query: TranscriptQuery) -> TranscriptPage:
            page: TranscriptPage = await self.workflow.query(
                "transcript", query, result_type=TranscriptPage
            )
            return page

        if not full:
            return await read_transcript(fetch, offset, limit)
        archive: TranscriptArchive = await self.workflow.query(
            "transcript_archive", result_type=TranscriptArchive
        )
        messages: list[Message] = []
        for segment in sorted(archive.segments, key=lambda s: s.first_index):
            messages += await read_archived(self.client.data_converter, segment)
        context = (await read_transcript(fetch)).messages
        messages += context[1:] if archive.summarized else context
        end = len(messages) if limit is None else offset + limit
        return TranscriptPage(messages=messages[offset:end], total=len(messages))

    async def result(self) -> SessionOutcome:
        """Wait for the session to finish and return its outcome (also when it failed:
        then `stop_reason` is `error` and `error` says why)."""
        try:
            result = await self.workflow.result()
        except WorkflowFailureError as e:
            cause = e.cause
            if isinstance(cause, ApplicationError) and cause.type == "SessionError":
                return SessionOutcome.model_validate(cause.details[0])
            raise
        return SessionOutcome.model_validate(result)

    async def stream_offset(self) -> int:
        """The offset the session's next event will have (how many it has published)."""
        offset: int = await WorkflowStreamClient.create(self.client, self.id).get_offset()
        return offset

    async def published(
        self, from_offset: int, until: int, *, deltas: bool = True
    ) -> AsyncIterator[StreamedEvent]:
        """The events already published from `from_offset` up to `until` (not included),
        as `events` gives them but read with queries only (for catching up while someone
        else follows the session live)."""
        topics = [EVENTS_TOPIC, DELTAS_TOPIC] if deltas else [EVENTS_TOPIC]
        async for offset, data in read_stream(self.client, self.id, topics, from_offset, until):
            if isinstance(data, dict) and data.get("type") in _EVENT_TYPES:
                yield StreamedEvent(offset, session_event.validate_python(data))

    async def events(
        self,
        from_offset: int = 0,
        *,
        deltas: bool = True,
        poll_cooldown: timedelta = timedelta(milliseconds=50),
    ) -> AsyncIterator[StreamedEvent]:
        """The session's events from `from_offset` on, live, ending after `session_end`.

        After a disconnect, call again with the last item's `next_offset` to miss
        nothing. `deltas=False` leaves out the streamed model output (topic `deltas`).
        Event types this version does not know are skipped.
        """
        topics = [EVENTS_TOPIC, DELTAS_TOPIC] if deltas else [EVENTS_TOPIC]
        async for offset, data in follow_stream(
            self.client, self.id, topics, from_offset, poll_cooldown
        ):
            if not isinstance(data, dict) or data.get("type") not in _EVENT_TYPES:
                continue
            event = session_event.validate_python(data)
            yield StreamedEvent(offset, event)
            if isinstance(event, SessionEnded):
                return

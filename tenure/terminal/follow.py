"""Follower: one session on the terminal, live, from its event stream, for `tenure run`
and `tenure chat`.

Events are shown as they come (see SessionView). A permission request or a question
asks the person on the keyboard, one at a time; a request settled elsewhere meanwhile
stops being asked. In a chat, every other line typed is a message (it steers the turn
at work, or starts the next one), `/exit` or the end of the input leaves and `/end` ends
the session. The first Ctrl-C interrupts the turn at work; the next one leaves, and the
session goes on. Where the stream was left is saved, so coming back replays only what
was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable

from rich.console import Console, RenderableType
from rich.text import Text
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError

from tenure.client import SessionHandle, StreamedEvent, UnknownRequestError
from tenure.client.client import WAITING_STATES
from tenure.models import SessionOutcome
from tenure.models.events import (
    ModelRetry,
    PermissionRequested,
    PermissionResolved,
    QuestionAnswered,
    QuestionAsked,
    SessionEnded,
    SubagentStarted,
    TextDelta,
    ThinkingDelta,
    ToolStarted,
)
from tenure.terminal.keyboard import Keyboard
from tenure.terminal.offsets import save_offset
from tenure.terminal.person import who
from tenure.terminal.render import chosen
from tenure.terminal.screen import Screen
from tenure.terminal.signals import on_signals
from tenure.terminal.stdin import Lines, StdinLines
from tenure.terminal.view import IDLE_STATES, SessionView

MESSAGE_PROMPT = "> "
PERMISSION_PROMPT = "[y] once, [a] for this session, [n] deny: "
COMMANDS = (
    "/exit leaves (the session goes on), /end ends the session, "
    "/compact [instructions] compacts the conversation"
)


class Follower:
    def __init__(self, handle: SessionHandle, console: Console, *, chat: bool, yes: bool
                 ) -> None:
        self.handle = handle
        self.chat = chat
        """A chat takes messages and commands; otherwise lines only answer requests."""
        self.yes = yes
        """Approve every permission request (once each) without asking."""
        self.view = SessionView(console)
        self.lines: Lines | None = None
        self._offset = 0
        self._unsettled: dict[str, int] = {}
        """Requests not settled yet, with their offsets: where a later visit resumes."""
        self._asking: dict[str, asyncio.Task[None]] = {}
        self._one_at_a_time = asyncio.Lock()
        self._prompt: str | None = None
        self._answer: asyncio.Future[str | None] | None = None
        self._kept: list[str] = []
        """Lines typed before a request asked for them (outside a chat)."""
        self._closed = False
        self._taken = asyncio.Event()
        """Set by each event shown."""
        self._leaving = asyncio.Event()
        self._interrupted = False
        """Ctrl-C was pressed since the last message: the next one leaves."""
        self._sending: set[asyncio.Task[bool]] = set()
        self._subagents: dict[str, asyncio.Task[None]] = {}
        """Followers of the subagents at work, for their requests to a person."""
        self.screen = Screen(console, self._region)

    async def run(
        self, from_offset: int = 0, sent: str | None = None
    ) -> SessionOutcome | None:
        """The outcome, or None when the person left before the session finished.
        `sent` is a message already on its way (a first prompt, `-m`): until the session
        takes it in, the follower does not take the session to be at rest."""
        self._offset = from_offset
        if sent:
            self.view.queued.append(sent)
        if from_offset:  # coming back: show where the session is now, not "starting"
            with contextlib.suppress(RPCError, WorkflowQueryFailedError,
                                     WorkflowQueryRejectedError):
                status = await self.handle.status()
                self.view.know(status)
                for session_id in status.subagents:
                    self._follow_subagent(session_id)
        with contextlib.ExitStack() as stack:
            if self.chat or not self.yes:
                self.lines = (stack.enter_context(Keyboard(self.screen.refresh))
                              if os.isatty(0) and self.screen.console.is_terminal
                              else StdinLines())
            stack.enter_context(on_signals(self._on_ctrl_c, signal.SIGINT))
            async with self.screen.shown():
                following = asyncio.create_task(self._follow())
                reading = asyncio.create_task(self._read()) if self.lines else None
                leaving = asyncio.create_task(self._leaving.wait())
                try:
                    await asyncio.wait({following, leaving}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    tasks = [t for t in (following, leaving, reading, *self._asking.values(),
                                         *self._subagents.values()) if t]
                    for task in tasks:
                        task.cancel()
                    await asyncio.wait(tasks)
                    await asyncio.gather(*self._sending)  # an interrupt on its way
                    save_offset(self.handle.id, self._resume_at)
        return None if following.cancelled() else following.result()

    @property
    def _resume_at(self) -> int:
        return min(self._unsettled.values(), default=self._offset)

    # ---- the session's events ------------------------------------------------------------

    async def _follow(self) -> SessionOutcome | None:
        async for item in self.handle.events(self._offset):
            self._take(item)
            if isinstance(item.event, SessionEnded):
                return item.event.outcome
        return None

    def _take(self, item: StreamedEvent) -> None:
        event = item.event
        for renderable in self.view.show(event):
            self._print(renderable)
        if isinstance(event, PermissionRequested | QuestionAsked):
            self._unsettled[event.request_id] = item.offset
            self._asking[event.request_id] = asyncio.create_task(
                self._decide(event) if isinstance(event, PermissionRequested)
                else self._reply(event)
            )
        elif isinstance(event, PermissionResolved | QuestionAnswered):
            self._unsettled.pop(event.request_id, None)
            if asking := self._asking.pop(event.request_id, None):
                asking.cancel()
        elif isinstance(event, SubagentStarted):
            self._follow_subagent(event.session_id)
        self._offset = item.next_offset
        if not isinstance(event, TextDelta | ThinkingDelta | ModelRetry):
            save_offset(self.handle.id, self._resume_at)
        self.screen.refresh()
        self._taken.set()

    def _follow_subagent(self, session_id: str) -> None:
        if session_id not in self._subagents:
            self._subagents[session_id] = asyncio.create_task(self._subagent(session_id))

    async def _subagent(self, session_id: str) -> None:
        """A subagent's tool calls and its requests to a person, asked here as the
        session's own are, and answered to the subagent."""
        child = self.handle.subagent(session_id)
        label = f"[{session_id.rpartition('/')[2]}] "
        with contextlib.suppress(RPCError):
            async for item in child.events(0, deltas=False):
                event = item.event
                if isinstance(event, ToolStarted | PermissionRequested | QuestionAsked):
                    for renderable in SessionView(self.screen.console).show(event):
                        self._print(Text(label, style="dim") + renderable
                                    if isinstance(renderable, Text) else renderable)
                if isinstance(event, PermissionRequested | QuestionAsked):
                    self._asking[event.request_id] = asyncio.create_task(
                        self._decide(event, child) if isinstance(event, PermissionRequested)
                        else self._reply(event, child)
                    )
                elif isinstance(event, PermissionResolved | QuestionAnswered):
                    if asking := self._asking.pop(event.request_id, None):
                        asking.cancel()

    # ---- asking the person -------------------------------------------------------------

    async def _decide(self, request: PermissionRequested, handle: SessionHandle | None = None
                      ) -> None:
        handle = handle or self.handle
        async with self._one_at_a_time:
            if self.yes:
                await self._send(handle.approve(
                    request.request_id, decided_by=who("tenure --yes")))
                return
            choice = ""
            while choice not in ("y", "a", "n"):
                line = await self._line(PERMISSION_PROMPT)
                if line is None:
                    if self.chat:
                        return  # leaving
                    self._print(Text(f"{PERMISSION_PROMPT}(stdin is closed: denied)", style="dim"))
                    line = "n"
                choice = line.strip().lower()[:1]
            if choice == "n":
                await self._send(handle.deny(request.request_id, decided_by=who()))
            else:
                scope = "session" if choice == "a" else "once"
                await self._send(handle.approve(
                    request.request_id, scope=scope, decided_by=who()))

    async def _reply(self, request: QuestionAsked, handle: SessionHandle | None = None) -> None:
        """Each question in turn: an option's number (several, comma-separated, where
        multiSelect) or any other text as a free answer."""
        handle = handle or self.handle
        async with self._one_at_a_time:
            answers = {}
            for question in request.questions:
                prompt = f"[{question.header}] answer (number or your own words): "
                line = await self._line(prompt)
                if line is None:
                    if self.chat:
                        return  # leaving
                    self._print(Text(f"{prompt}(stdin is closed: no answer)", style="dim"))
                    line = ""
                answers[question.question] = chosen(question, line)
            await self._send(handle.answer(request.request_id, answers))

    async def _line(self, prompt: str) -> str | None:
        """The next line typed for a request (echoed after its prompt, as a terminal
        would have shown it); None once the input is closed."""
        if self._kept:
            line: str | None = self._kept.pop(0)
        elif self._closed:
            return None
        else:
            self._prompt = prompt
            self._answer = asyncio.get_running_loop().create_future()
            self.screen.refresh()
            try:
                line = await self._answer
            finally:
                self._prompt = self._answer = None
                self.screen.refresh()
        if line is not None:
            self._print(Text.assemble((prompt, "bold"), line))
        return line

    async def _send(self, signal_sent: Awaitable[None]) -> bool:
        """Send a signal to the session; if it cannot take it, say why (and False)."""
        try:
            await signal_sent
        except UnknownRequestError:
            pass  # settled elsewhere meanwhile
        except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError) as e:
            self._print(Text(f"The session did not take it: {e}", style="red"))
            return False
        return True

    # ---- what the person types and presses -----------------------------------------------

    async def _read(self) -> None:
        """Each line typed goes to the request being asked, if any; in a chat, commands
        work even then, and the other lines are messages."""
        assert self.lines is not None
        while True:
            line = await self.lines.next()
            answer = self._answer if self._answer and not self._answer.done() else None
            if line is None:
                self._closed = True
                if answer:
                    answer.set_result(None)
                if self.chat:
                    if not os.isatty(0):
                        await self._until_settled()
                    self._leaving.set()
                return
            if self.chat and _is_command(line):
                await self._command(line.strip())
            elif answer:
                answer.set_result(line)
            elif self.chat:
                await self._say(line.strip())
            else:
                self._kept.append(line)

    async def _until_settled(self) -> None:
        """Until the session has taken in what was sent, waits for nothing but a person,
        and every event it published so far is shown: when input from a pipe or a file
        ends, nothing more will come to ask for."""
        end = 0
        while True:
            self._taken.clear()
            at_rest = self.view.state is None or not self.view.busy or self.view.waiting
            if at_rest and not self.view.queued and self._offset >= end:
                try:
                    end = await self.handle.stream_offset()
                    status = await self.handle.status()
                except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
                    return
                if self._offset >= end and status.state.kind in (*IDLE_STATES, *WAITING_STATES):
                    return
            await self._taken.wait()

    async def _command(self, command: str) -> None:
        if command in ("/exit", "/quit"):
            self._leaving.set()
        elif command == "/end":
            self._print(Text("Ending the session…", style="yellow"))
            await self._send(self.handle.end())
        elif command.split()[0] == "/compact":
            self._print(Text("Compacting the conversation…", style="yellow"))
            await self._send(self.handle.compact(command[len("/compact"):].strip() or None))
        else:
            self._print(Text(f"Unknown command {command}: {COMMANDS}.", style="yellow"))

    async def _say(self, text: str) -> None:
        """A message: it steers the turn at work, or starts the next one."""
        if not text:
            return
        self._interrupted = False
        self.view.queued.append(text)
        self.screen.refresh()
        if not await self._send(self.handle.send(text)):
            self.view.queued.remove(text)

    def _on_ctrl_c(self) -> None:
        if self._interrupted:
            self._leaving.set()
            return
        self._interrupted = True
        if self.chat and not self.view.busy:
            self._print(Text("(Ctrl-C again to leave; /exit leaves too)", style="dim"))
            return
        self._print(Text("Interrupting the session (Ctrl-C again to leave)…", style="yellow"))
        sending = asyncio.create_task(self._send(self.handle.interrupt()))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)

    # ---- the screen ----------------------------------------------------------------------

    def _print(self, renderable: RenderableType) -> None:
        # Text keeps its long lines whole (a command stays copyable); Markdown is laid
        # out to the terminal's width.
        self.screen.print(renderable, soft_wrap=isinstance(renderable, Text))

    def _region(self) -> RenderableType:
        typed = self.lines.typed if self.lines else ""
        prompt = self._prompt or (MESSAGE_PROMPT if self.chat else None)
        if prompt is None and typed:
            prompt = ""  # typed ahead of a request, outside a chat
        return self.view.region(prompt, typed)


def _is_command(line: str) -> bool:
    """`/exit`, `/end`: one word after a slash (a message may still start with a path);
    `/compact` may be followed by instructions."""
    word = line.strip()
    if word.split(maxsplit=1)[:1] == ["/compact"]:
        return True
    return word.startswith("/") and len(word.split()) == 1 and "/" not in word[1:]

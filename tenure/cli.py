"""The `tenure` command: a dev server, workers, and agent sessions from the terminal.

Where Temporal is comes from the environment only: TEMPORAL_ADDRESS (default
localhost:7233), TEMPORAL_NAMESPACE (default `default`), TENURE_TASK_QUEUE (default `tenure`).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError, RPCStatusCode

from tenure import settings
from tenure.client import AgentClient, SessionHandle, SessionInfo, UnknownRequestError
from tenure.devserver import (
    DevServer,
    DevServerError,
    default_db_path,
    free_port,
    is_listening,
    start_dev_server,
)
from tenure.models import (
    DEFAULT_TOOLS,
    ContentBlock,
    Message,
    PendingPermission,
    PendingQuestion,
    PermissionMode,
    PermissionRules,
    Question,
    SessionConfig,
    SessionOutcome,
    SessionStatus,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from tenure.workers.worker import build_worker, connect, run_worker

T = TypeVar("T")

DEFAULT_MODEL = "claude-sonnet-4-5"
POLL_INTERVAL = 0.2
"""Seconds between two looks at a running session in `tenure run`."""
QUERY_TIMEOUT = 10.0
"""A query to a finished session needs a worker to replay it; give up after this long."""
LIST_QUERY_TIMEOUT = 3.0
LIST_LIMIT = 50
RESULT_LINES = 6
"""Lines of each tool result that `tenure show` prints."""
INPUT_LINES = 12
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", ""}

class _Tenure(typer.Typer):
    """The app, ending the process without interpreter teardown once a command is done:
    temporalio's Rust threads can crash a finalizing interpreter now and then (SIGABRT
    or SIGSEGV after a clean exit, temporalio/sdk-python#300)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as e:
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(e.code if isinstance(e.code, int) else int(e.code is not None))


app = _Tenure(
    help="tenure: durable agent sessions on Temporal.\n\nWhere Temporal is comes from the "
    "environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "
    "`default`), TENURE_TASK_QUEUE (default `tenure`).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
out = Console(highlight=False, soft_wrap=True)
RUN_TOOLS = [*DEFAULT_TOOLS, "BashOutput", "KillShell", "TodoWrite", "AskUserQuestion",
             "PresentFile"]
err = Console(stderr=True, highlight=False, soft_wrap=True)


# ---- errors and connections -----------------------------------------------------------


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(Text(message, style="red"))
    raise typer.Exit(code)


def _unreachable(address: str) -> str:
    return (
        f"Cannot reach Temporal at {address}: start one with `tenure dev` "
        "or set TEMPORAL_ADDRESS."
    )


async def _connect(address: str | None = None) -> Client:
    """Connect to Temporal, or explain in one sentence why not and exit 1."""
    address = address or settings.temporal_address()
    try:
        return await connect(address)
    except RuntimeError as e:
        if is_listening(address):
            _fail(f"Cannot connect to Temporal at {address}: {e}")
        _fail(_unreachable(address))


@contextlib.contextmanager
def _explained(session_id: str | None = None) -> Iterator[None]:
    """Turn what Temporal or a session refuses into one sentence and a non-zero exit."""
    try:
        yield
    except RPCError as e:
        if session_id and e.status == RPCStatusCode.NOT_FOUND:
            if "already completed" in e.message:
                _fail(f"Session {session_id} has already finished.")
            _fail(
                f"There is no session {session_id} in namespace "
                f"{settings.temporal_namespace()} at {settings.temporal_address()}."
            )
        _fail(f"Temporal refused the request: {e.message}")
    except UnknownRequestError as e:
        _fail(str(e))
    except WorkflowFailureError as e:
        _fail(f"The session failed: {e.cause or e}")
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as e:
        _fail(f"Session {session_id} could not answer: {e}")
    except TimeoutError:
        about = f" for session {session_id}" if session_id else ""
        _fail(
            f"No worker answered{about}: start one with `tenure worker` "
            f"(task queue {settings.task_queue()})."
        )


def _with_session(session_id: str, action: Callable[[SessionHandle], Awaitable[T]]) -> T:
    """Run one action against a session, with every failure explained."""

    async def go() -> T:
        agents = AgentClient(await _connect())
        return await asyncio.wait_for(action(agents.get(session_id)), QUERY_TIMEOUT)

    with _explained(session_id):
        return asyncio.run(go())


@contextlib.contextmanager
def _on_signals(callback: Callable[[], None], *signals: signal.Signals) -> Iterator[None]:
    """Call `callback` on the running event loop when one of `signals` arrives."""
    loop = asyncio.get_running_loop()

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


# ---- the embedded dev server ----------------------------------------------------------


def _start_server(port: int, ui_port: int | None, db: Path) -> DevServer:
    try:
        return start_dev_server(
            port=port, ui_port=ui_port, db_path=db, log_file=db.with_suffix(".log")
        )
    except DevServerError as e:
        _fail(f"{e}.")


def _port_is_free(port: int) -> bool:
    return 0 < port < 65536 and not is_listening(f"127.0.0.1:{port}", timeout=0.2)


def _local_port(address: str) -> int | None:
    """The port of a local address (where `tenure run` may start a server), else None."""
    host, _, port = address.rpartition(":")
    return int(port) if host in LOCAL_HOSTS and port.isdigit() else None


def _start_server_for_run(address: str) -> DevServer:
    port = _local_port(address)
    if port is None:
        _fail(f"Cannot reach Temporal at {address}, and `tenure run` starts a server only on "
              "a local address: start one there or set TEMPORAL_ADDRESS.")
    # The web UI goes 1000 above the gRPC port, as with `temporal server start-dev`.
    ui_port = port + 1000 if _port_is_free(port + 1000) else free_port()
    db = default_db_path()
    out.print(Text(f"Starting a Temporal dev server on 127.0.0.1:{port} ({db}) for this run…",
                   style="dim"))
    return _start_server(port, ui_port, db)


# ---- rendering -------------------------------------------------------------------------


def _cut(text: str, lines: int) -> str:
    kept = text.splitlines() or [""]
    more = len(kept) - lines
    return "\n".join(kept[:lines]) + (f"\n… ({more} more lines)" if more > 0 else "")


def _render_message(message: Message, *, detailed: bool = False) -> list[Text]:
    """One message as lines: compact for `tenure run`; with the role, tool inputs and more
    of each tool result, indented under the role, for `tenure show`."""
    lines = [line for block in message.content for line in _render_block(block, detailed)]
    if message.role == "user" and not detailed:
        lines = [line.copy() for line in lines]
        for line in lines:
            line.stylize("dim")
    if not detailed:
        return lines
    role = Text(message.role, style="bold magenta" if message.role == "user" else "bold blue")
    return [role, *(Text("  ") + line for line in lines)]


def _render_block(block: ContentBlock, detailed: bool) -> list[Text]:
    if isinstance(block, TextBlock):
        return [Text(line) for line in block.text.strip().splitlines()]
    if isinstance(block, ThinkingBlock):
        shown = _cut(block.thinking.strip(), RESULT_LINES).splitlines() if detailed else []
        return [Text(line, style="dim italic") for line in shown]
    if isinstance(block, ToolUseBlock):
        call = Text.assemble(("→ ", "cyan"), block.summary(100))
        shown = _tool_input(block.input).splitlines() if detailed and block.input else []
        return [call, *(Text("  " + line, style="dim") for line in shown)]
    if isinstance(block, ToolResultBlock):
        mark = ("✗ ", "red") if block.is_error else ("✓ ", "green")
        first, *rest = _cut(block.content.strip(), RESULT_LINES).splitlines() or ["(empty)"]
        more = [Text("  " + line) for line in rest] if detailed else []
        return [Text.assemble(mark, first), *more]
    return [Text("[image]", style="dim")]


def _usage_line(status: SessionStatus | SessionOutcome) -> str:
    usage = status.usage
    return f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens"


def _status_line(session_id: str, status: SessionStatus) -> Text:
    return Text.assemble(
        (session_id, "bold"), " · ", (status.state.describe(), "yellow"),
        f" · turn {status.turn} · {_usage_line(status)}",
    )


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _tool_input(tool_input: dict[str, object]) -> str:
    compact = json.dumps(tool_input, ensure_ascii=False)
    if len(compact) <= 100:
        return compact
    return _cut(json.dumps(tool_input, indent=2, ensure_ascii=False), INPUT_LINES)


def _permission_lines(pending: PendingPermission) -> list[Text]:
    return [
        Text.assemble(("? ", "bold yellow"), (f"Allow {pending.tool_name}?", "bold"),
                      (f" ({pending.reason})", "dim")),
        Text(_indent(_tool_input(pending.input))),
    ]


def _question_lines(question: Question) -> list[Text]:
    lines = [Text(f"? [{question.header}] {question.question}", style="bold magenta")]
    for number, option in enumerate(question.options, 1):
        about = f" - {option.description}" if option.description else ""
        lines.append(Text(f"  {number}. {option.label}{about}"))
    if question.multiSelect:
        lines.append(Text("  (several numbers, comma-separated, are fine)", style="dim"))
    return lines


def _chosen(question: Question, line: str) -> str:
    """Option numbers become their labels; anything else is the person's own answer."""
    parts = [p.strip() for p in line.split(",")] if question.multiSelect else [line.strip()]
    if parts and all(p.isdigit() and 1 <= int(p) <= len(question.options) for p in parts):
        return ", ".join(question.options[int(p) - 1].label for p in parts)
    return line.strip() or "(no answer)"


# ---- tenure run ------------------------------------------------------------------------


class _StdinLines:
    """Lines typed on stdin, read by a daemon thread: the event loop (which hosts the
    in-process worker) never blocks, and Ctrl-C can abandon a question."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = False
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True).start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(0, 4096)  # not sys.stdin: no lock held at interpreter exit
            except OSError:
                chunk = b""
            if not chunk:
                self._put(loop, [buffer] if buffer else [], closed=True)
                return
            *lines, buffer = (buffer + chunk).split(b"\n")
            if not self._put(loop, lines):
                return

    def _put(self, loop: asyncio.AbstractEventLoop, lines: list[bytes], closed: bool = False
             ) -> bool:
        items = [line.decode(errors="replace") for line in lines] + ([None] if closed else [])
        try:
            for item in items:
                loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone
            return False
        return True

    async def next(self) -> str | None:
        """The next line, or None once stdin is closed."""
        if not self._closed:
            line = await self._queue.get()
            self._closed = line is None
            return line
        return None


class _RunView:
    """Follows one session on the terminal: new messages, the state, permission questions.
    The first Ctrl-C interrupts the session, the second leaves it running."""

    def __init__(self, handle: SessionHandle, *, yes: bool) -> None:
        self.handle = handle
        self.yes = yes
        self.shown = 0
        self.asked: set[str] = set()
        self.interrupted = asyncio.Event()
        self.stdin: _StdinLines | None = None
        self.follow_task: asyncio.Task[SessionOutcome] | None = None
        self.signal_task: asyncio.Task[None] | None = None

    async def run(self) -> SessionOutcome | None:
        """The outcome, or None when the person left before the session finished."""
        follow = self.follow_task = asyncio.create_task(self._follow())
        with _on_signals(self._on_ctrl_c, signal.SIGINT):
            await asyncio.wait({follow})
            if self.signal_task:  # deliver the interrupt before leaving
                await self.signal_task
        return None if follow.cancelled() else follow.result()

    def _on_ctrl_c(self) -> None:
        if self.interrupted.is_set():
            if self.follow_task:
                self.follow_task.cancel()
            return
        self.interrupted.set()
        out.print(Text("\nInterrupting the session (Ctrl-C again to leave)…", style="yellow"))
        self.signal_task = asyncio.create_task(self.handle.interrupt())

    async def _follow(self) -> SessionOutcome:
        result = asyncio.create_task(self.handle.result())
        with out.status("starting…") as spinner:
            while not result.done():
                status = await self.handle.status()
                await self._show_new_messages()
                spinner.update(f"turn {status.turn} · {status.state.describe()}")
                for pending in status.pending_permissions:
                    if pending.request_id not in self.asked and not self.interrupted.is_set():
                        self.asked.add(pending.request_id)
                        spinner.stop()
                        await self._decide(pending)
                        spinner.start()
                for question in status.pending_questions:
                    if question.request_id not in self.asked and not self.interrupted.is_set():
                        self.asked.add(question.request_id)
                        spinner.stop()
                        await self._answer(question)
                        spinner.start()
                await asyncio.wait({result}, timeout=POLL_INTERVAL)
        await self._show_new_messages()
        return result.result()

    async def _show_new_messages(self) -> None:
        page = await self.handle.transcript(offset=self.shown)
        for message in page.messages:
            for line in _render_message(message):
                out.print(line)
        self.shown += len(page.messages)

    async def _decide(self, pending: PendingPermission) -> None:
        for line in _permission_lines(pending):
            out.print(line)
        choice = "y" if self.yes else await self._ask(pending.request_id)
        if choice is None:
            return
        with contextlib.suppress(UnknownRequestError):  # decided elsewhere meanwhile
            if choice == "n":
                await self.handle.deny(pending.request_id, decided_by=_who())
            else:
                scope = "session" if choice == "a" else "once"
                await self.handle.approve(pending.request_id, scope=scope, decided_by=_who())
        if self.yes:
            out.print(Text("  allowed once (--yes)", style="dim"))

    async def _ask(self, request_id: str) -> str | None:
        """'y', 'a' or 'n'; None when the question became moot (Ctrl-C, decided elsewhere)."""
        while True:
            line = await self._read_line(
                request_id, "[y] once, [a] for this session, [n] deny: ",
                if_closed=("stdin is closed: denied", "n"),
            )
            if line is None:
                return None
            choice = line.strip().lower()[:1]
            if choice in ("y", "a", "n"):
                return choice

    async def _answer(self, pending: PendingQuestion) -> None:
        """Ask each question on the terminal: an option's number (several, comma-separated,
        where multiSelect) or any other text as a free answer."""
        answers: dict[str, str] = {}
        for question in pending.questions:
            for text in _question_lines(question):
                out.print(text)
            typed = await self._read_line(
                pending.request_id, "answer (number or your own words): ",
                if_closed=("stdin is closed: no answer", ""),
            )
            if typed is None:
                return
            answers[question.question] = _chosen(question, typed)
        with contextlib.suppress(UnknownRequestError):  # answered elsewhere meanwhile
            await self.handle.answer(pending.request_id, answers)

    async def _read_line(
        self, request_id: str, prompt: str, *, if_closed: tuple[str, str]
    ) -> str | None:
        """A line typed for this request; None when the request became moot (Ctrl-C,
        answered elsewhere). When stdin is closed: says if_closed[0], returns if_closed[1]."""
        self.stdin = self.stdin or _StdinLines()
        out.print(Text(prompt, style="bold"), end="")
        reading = asyncio.create_task(self.stdin.next())
        moot = asyncio.create_task(self._until_moot(request_id))
        await asyncio.wait({reading, moot}, return_when=asyncio.FIRST_COMPLETED)
        moot.cancel()
        if not reading.done():
            reading.cancel()
            out.print(Text("(no longer asked)", style="dim"))
            return None
        line = reading.result()
        if line is None:
            out.print(Text(f"\n{if_closed[0]}", style="dim"))
            return if_closed[1]
        if not os.isatty(0):
            out.print(line)  # what a terminal would have echoed
        return line

    async def _until_moot(self, request_id: str) -> None:
        while not self.interrupted.is_set():
            status = await self.handle.status()
            waiting = {p.request_id for p in status.pending_permissions} | {
                q.request_id for q in status.pending_questions
            }
            if request_id not in waiting:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.interrupted.wait(), 0.5)


def _who() -> str | None:
    """Who decided a permission, as recorded in the session's history."""
    try:
        return f"{getpass.getuser()} (tenure cli)"
    except Exception:  # no user name in this environment
        return None


def _uses_anthropic(model: str) -> bool:
    prefix, sep, _ = model.partition(":")
    return not sep or prefix == "anthropic"


async def _run_session(
    config: SessionConfig, address: str, *, worker: bool, yes: bool, ui_url: str | None
) -> SessionOutcome | None:
    client = await _connect(address)
    async with contextlib.AsyncExitStack() as stack:
        if worker:
            await stack.enter_async_context(build_worker(client))
        handle = await AgentClient(client).start(config)
        out.print(Text(f"{handle.id} · {config.model} · {config.workspace}", style="dim"))
        if ui_url:
            namespace = settings.temporal_namespace()
            out.print(Text(f"{ui_url}/namespaces/{namespace}/workflows/{handle.id}",
                           style="dim"))
        outcome = await _RunView(handle, yes=yes).run()
        if outcome is None:
            out.print(Text(
                f"Left session {handle.id}: it goes on wherever a worker serves it "
                f"(`tenure show {handle.id}`).", style="yellow"))
        return outcome


def _print_outcome(outcome: SessionOutcome) -> None:
    out.rule(style="dim")
    if outcome.text:
        out.print(Text(outcome.text))
    if outcome.error:
        err.print(Text(outcome.error, style="red"))
    out.print(Text(
        f"{outcome.stop_reason} · {outcome.turns} turn{'' if outcome.turns == 1 else 's'} · "
        f"{_usage_line(outcome)}", style="dim"
    ))


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    model: Annotated[str, typer.Option(
        envvar="TENURE_MODEL", help="A Claude model, anthropic:NAME, or scripted:PATH."
    )] = DEFAULT_MODEL,
    workspace: Annotated[Path, typer.Option(
        exists=True, file_okay=False, resolve_path=True, help="Where the tools work."
    )] = Path("."),
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Approve every permission request (once each) without asking."
    )] = False,
    mode: Annotated[PermissionMode, typer.Option(help="Permission mode.")] = "default",
    max_turns: Annotated[int, typer.Option(min=1, help="Most model calls for the task.")] = 50,
    tools: Annotated[str, typer.Option(
        help="Comma-separated tools the agent may use (WebFetch is off unless listed)."
    )] = ",".join(RUN_TOOLS),
    allow: Annotated[list[str] | None, typer.Option(
        help="A rule that needs no approval, e.g. 'Bash(npm test:*)'. Repeatable."
    )] = None,
    deny: Annotated[list[str] | None, typer.Option(
        help="A rule that is always refused, e.g. 'Bash(rm:*)'. Repeatable."
    )] = None,
    title: Annotated[str | None, typer.Option(help="A title for the session list.")] = None,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker",
        help="Rely on the workers already serving the task queue (`tenure dev`, `tenure "
        "worker`) instead of also running one in this process.",
    )] = False,
) -> None:
    """Run a task as an autonomous session and follow it until it is done.

    If nothing listens at TEMPORAL_ADDRESS (and it is local), an embedded dev server is
    started for the run (same database as `tenure dev`) and stopped afterwards.

    A worker always runs in this process too, so the run makes progress even when no
    other worker serves the task queue; with --no-worker and a server already there, the
    work is left to the workers already serving the queue.

    Exit code: 0 when the session ends normally, 1 on an error outcome, 130 when
    interrupted. The first Ctrl-C interrupts the session; the second leaves it running.
    """
    address = settings.temporal_address()
    listening = is_listening(address)
    needs_key = _uses_anthropic(model) and (not no_worker or not listening)
    if needs_key and not os.environ.get("ANTHROPIC_API_KEY"):
        _fail(
            "Set ANTHROPIC_API_KEY (or use --model scripted:PATH) to run with the Anthropic "
            f"model {model}.",
            code=2,
        )
    config = SessionConfig(
        model=model, prompt=task, workspace=str(workspace), mode="autonomous",
        permission_mode=mode, max_turns=max_turns, title=title,
        tools=[t.strip() for t in tools.split(",") if t.strip()],
        permissions=PermissionRules(allow=allow or [], deny=deny or []),
    )
    server = None if listening else _start_server_for_run(address)
    try:
        with _explained():
            outcome = asyncio.run(_run_session(
                config, server.address if server else address,
                worker=server is not None or not no_worker, yes=yes,
                ui_url=server.ui_url if server else None,
            ))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    finally:
        if server is not None:
            server.stop()
    if outcome is None:
        raise typer.Exit(130)
    _print_outcome(outcome)
    raise typer.Exit({"error": 1, "interrupted": 130}.get(outcome.stop_reason, 0))


# ---- tenure dev / tenure worker --------------------------------------------------------


async def _serve(server: DevServer, db: Path) -> int:
    """Run a worker against the dev server until Ctrl-C (or SIGTERM)."""
    client = await _connect(server.address)
    worker = build_worker(client)
    stop = asyncio.Event()
    with _on_signals(stop.set, signal.SIGINT, signal.SIGTERM):
        running = asyncio.create_task(worker.run())
        for label, value in [
            ("Temporal", server.address), ("Web UI", server.ui_url or "off"),
            ("Task queue", settings.task_queue()), ("Database", str(db)),
        ]:
            out.print(Text.assemble((f"{label:<11}", "bold"), value))
        if not server.address.endswith(":7233"):
            out.print(Text(f"export TEMPORAL_ADDRESS={server.address}", style="dim"))
        out.print(Text("A worker runs in this process. Press Ctrl-C to stop.", style="dim"))
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if running.done():
            err.print(Text(f"The worker stopped: {running.exception()}", style="red"))
            return 1
        out.print(Text("Stopping…", style="dim"))
        await worker.shutdown()
        await running
    return 0


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="The gRPC port (TEMPORAL_ADDRESS).")] = 7233,
    ui_port: Annotated[int, typer.Option(help="The web UI's port.")] = 8233,
    db: Annotated[Path | None, typer.Option(
        dir_okay=False, resolve_path=True,
        help="The SQLite database (default: temporal.db in the user data directory).",
    )] = None,
) -> None:
    """Start the embedded Temporal dev server and a worker, until Ctrl-C."""
    for taken, option in ((port, "--port"), (ui_port, "--ui-port")):
        if not _port_is_free(taken):
            _fail(f"Something already listens on port {taken} (is `tenure dev` already "
                  f"running?): pick another with {option}.")
    db = db or default_db_path()
    server = _start_server(port, ui_port, db)
    try:
        code = asyncio.run(_serve(server, db))
    except KeyboardInterrupt:  # before the worker took over Ctrl-C
        code = 0
    finally:
        server.stop()
    raise typer.Exit(code)


@app.command()
def worker() -> None:
    """Run a worker for TEMPORAL_ADDRESS and TENURE_TASK_QUEUE, until Ctrl-C."""
    address = settings.temporal_address()
    if not is_listening(address, timeout=3.0):
        _fail(_unreachable(address))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt), _explained():
        asyncio.run(run_worker(address))


# ---- sessions --------------------------------------------------------------------------


async def _state_of(agents: AgentClient, session: SessionInfo) -> str:
    """A running session's state ("?" when no worker answers); blank for the others."""
    if session.status != "RUNNING":
        return ""
    try:
        status = await asyncio.wait_for(agents.get(session.id).status(), LIST_QUERY_TIMEOUT)
    except (TimeoutError, RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return "?"
    return status.state.kind


@app.command()
def sessions(
    all_: Annotated[bool, typer.Option(
        "--all", help=f"Every session, not only the newest {LIST_LIMIT}."
    )] = False,
) -> None:
    """List sessions, newest first, with the state of the running ones."""

    async def go() -> list[tuple[str, str, str, str, str]]:
        agents = AgentClient(await _connect())
        found = await agents.list(limit=2**31 if all_ else LIST_LIMIT)
        states = await asyncio.gather(*(_state_of(agents, s) for s in found))
        return [
            (s.id, s.status.lower(), state,
             s.start_time.astimezone().strftime("%Y-%m-%d %H:%M:%S"), s.title or "")
            for s, state in zip(found, states, strict=True)
        ]

    with _explained():
        rows = asyncio.run(go())
    if not rows:
        out.print('No sessions yet: start one with `tenure run "task"`.')
        return
    table = Table(box=None, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("STATUS", no_wrap=True)
    table.add_column("STATE", no_wrap=True)
    table.add_column("STARTED", no_wrap=True)
    table.add_column("TITLE", overflow="ellipsis", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    out.print(table)


@app.command()
def show(session_id: Annotated[str, typer.Argument(help="The session id.")]) -> None:
    """Print a session's transcript and its status."""

    async def read(handle: SessionHandle) -> tuple[SessionStatus, list[Message]]:
        status = await handle.status()
        return status, (await handle.transcript()).messages

    status, messages = _with_session(session_id, read)
    for message in messages:
        for line in _render_message(message, detailed=True):
            out.print(line)
        out.print()
    out.print(_status_line(session_id, status))
    if status.error:
        out.print(Text(status.error, style="red"))
    for pending in status.pending_permissions:
        for line in _permission_lines(pending):
            out.print(line)
        out.print(Text(f"  tenure approve {session_id} {pending.request_id}  "
                       "(--deny to refuse)", style="dim"))
    for question in status.pending_questions:
        for q in question.questions:
            for line in _question_lines(q):
                out.print(line)
        out.print(Text(f"  tenure answer {session_id} {question.request_id} ANSWER...  "
                       "(one per question: an option number or your own words)", style="dim"))


@app.command()
def send(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    text: Annotated[str, typer.Argument(help="The message.")],
) -> None:
    """Send a message: it steers a running turn or starts the next one."""
    if not text.strip():
        _fail("The message is empty.", code=2)
    _with_session(session_id, lambda handle: handle.send(text))
    out.print(f"Sent to {session_id}.")


@app.command()
def approve(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    request_id: Annotated[str, typer.Argument(help="The permission request id (`tenure show`).")],
    deny: Annotated[bool, typer.Option("--deny", help="Refuse instead.")] = False,
    session: Annotated[bool, typer.Option(
        "--session", help="Allow the same call for the rest of the session."
    )] = False,
    reason: Annotated[str | None, typer.Option(help="Why it is denied (the model sees it).")]
    = None,
) -> None:
    """Answer a pending permission request."""
    if deny and session:
        _fail("--session goes with approvals only: a denial is for this one request.", code=2)
    if reason and not deny:
        _fail("--reason goes with --deny: it tells the model why.", code=2)
    who = _who()
    if deny:
        _with_session(session_id, lambda h: h.deny(request_id, reason=reason, decided_by=who))
        out.print(f"Denied {request_id}.")
    else:
        scope = "session" if session else "once"
        _with_session(session_id, lambda h: h.approve(request_id, scope=scope, decided_by=who))
        out.print(f"Allowed {request_id} ({'for the session' if session else 'once'}).")


@app.command()
def answer(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    request_id: Annotated[str, typer.Argument(help="The question request id (`tenure show`).")],
    answers: Annotated[list[str], typer.Argument(
        help="One answer per question, in order: an option number or your own words."
    )],
) -> None:
    """Answer the agent's pending questions (AskUserQuestion)."""

    async def go(handle: SessionHandle) -> None:
        status = await handle.status()
        pending = next((q for q in status.pending_questions if q.request_id == request_id), None)
        if pending is None:
            raise UnknownRequestError(f"Session {session_id} has no pending question {request_id!r}")
        if len(answers) != len(pending.questions):
            _fail(f"{len(pending.questions)} questions need {len(pending.questions)} answers; "
                  f"got {len(answers)}.", code=2)
        await handle.answer(request_id, {
            q.question: _chosen(q, a) for q, a in zip(pending.questions, answers, strict=True)
        })

    _with_session(session_id, go)
    out.print(f"Answered {request_id}.")


@app.command()
def interrupt(session_id: Annotated[str, typer.Argument(help="The session id.")]) -> None:
    """Stop the current turn now, keep what was produced, go idle."""
    _with_session(session_id, lambda handle: handle.interrupt())
    out.print(f"Interrupted {session_id}.")


@app.command()
def end(session_id: Annotated[str, typer.Argument(help="The session id.")]) -> None:
    """Finish a session cleanly."""
    _with_session(session_id, lambda handle: handle.end())
    out.print(f"Ended {session_id}.")


if __name__ == "__main__":
    app()

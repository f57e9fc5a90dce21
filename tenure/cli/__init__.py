"""The `tenure` command: a dev server, workers, and agent sessions from the terminal.

Where Temporal is comes from the environment only: TEMPORAL_ADDRESS (default
localhost:7233), TEMPORAL_NAMESPACE (default `default`), TENURE_TASK_QUEUE (default `tenure`).
What a session looks like on the terminal is in `tenure.terminal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode

from tenure import settings
from tenure.agent_files import AGENTS_FOLDER, read_agent_files
from tenure.models.agents import GENERAL_PURPOSE, GENERAL_PURPOSE_NAME, MODEL_ALIASES, AgentDefinition
from tenure.client import (
    AgentClient,
    SearchAttributeMissingError,
    SessionHandle,
    SessionInfo,
    UnknownRequestError,
    WaitingSession,
)
from tenure.client.client import WAITING_STATES
from tenure.devserver import (
    DatabaseInUseError,
    DevServer,
    DevServerError,
    default_db_path,
    free_port,
    is_listening,
    start_dev_server,
)
from tenure.models import (
    DEFAULT_TOOLS,
    Message,
    PermissionMode,
    PermissionRules,
    SessionConfig,
    SessionMode,
    SessionOutcome,
    SessionStatus,
    StateKind,
    ToolUseBlock,
    WorkerPolicy,
)
from tenure.models.search import TENURE_MODEL
from tenure.models.validation import validation_problems
from tenure.providers import deprecation
from tenure.terminal.follow import Follower
from tenure.terminal.offsets import saved_offset
from tenure.terminal.person import who
from tenure.terminal.render import (
    chosen,
    outcome_line,
    permission_lines,
    question_lines,
    status_line,
    transcript_lines,
)
from tenure.terminal.signals import on_signals
from tenure.mcp import McpConfigError, load_mcp_config
from tenure.workers.logs import log_to_file
from tenure.connection import connect
from tenure.workers.worker import build_worker, run_worker

T = TypeVar("T")

QUERY_TIMEOUT = 10.0
"""A query to a finished session needs a worker to replay it; give up after this long."""
LIST_QUERY_TIMEOUT = timedelta(seconds=3)
LIST_LIMIT = 50
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


# ---- the embedded dev server ----------------------------------------------------------


def _start_server(port: int, ui_port: int | None, db: Path, command: str) -> DevServer:
    """The embedded server for `tenure COMMAND`, or one sentence on why it cannot start."""
    try:
        return start_dev_server(
            port=port, ui_port=ui_port, db_path=db, log_file=db.with_suffix(".log"),
            die_with_parent=True,
        )
    except DatabaseInUseError as e:
        if command == "dev":
            _fail(f"{e}: stop it, or give this one a database of its own with --db.")
        use = f"set TEMPORAL_ADDRESS={e.address} to use it" if e.address else "use it"
        _fail(f"{e}: {use}, or stop it.")
    except DevServerError as e:
        _fail(f"{e}.")


def _port_is_free(port: int) -> bool:
    return 0 < port < 65536 and not is_listening(f"127.0.0.1:{port}", timeout=0.2)


def _local_port(address: str) -> int | None:
    """The port of a local address (where `tenure run` may start a server), else None."""
    host, _, port = address.rpartition(":")
    return int(port) if host in LOCAL_HOSTS and port.isdigit() else None


def _start_server_for(command: str, address: str) -> DevServer:
    """The embedded server that `tenure run` or `tenure chat` starts when none listens."""
    port = _local_port(address)
    if port is None:
        _fail(f"Cannot reach Temporal at {address}, and `tenure {command}` starts a server only "
              "on a local address: start one there or set TEMPORAL_ADDRESS.")
    # The web UI goes 1000 above the gRPC port, as with `temporal server start-dev`.
    ui_port = port + 1000 if _port_is_free(port + 1000) else free_port()
    db = default_db_path()
    out.print(Text(f"Starting a Temporal dev server on 127.0.0.1:{port} ({db}) for this "
                   f"{command}…", style="dim"))
    return _start_server(port, ui_port, db, command)


# ---- tenure run / tenure chat ------------------------------------------------------------


ModelOption = Annotated[str | None, typer.Option(
    envvar="TENURE_MODEL", show_default=settings.DEFAULT_MODEL,
    help="A Claude model, anthropic:NAME, openai:NAME, or scripted:PATH (default: the "
    "--agent's model, else the newest Sonnet).",
)]
AgentOption = Annotated[str | None, typer.Option(
    help="Start the session as this agent type: .claude/agents/NAME.md in the workspace "
    "(or general-purpose) gives its system prompt, tools and model.",
)]
WorkspaceOption = Annotated[Path, typer.Option(
    exists=True, file_okay=False, resolve_path=True, help="Where the tools work."
)]
YesOption = Annotated[bool, typer.Option(
    "--yes", "-y", help="Approve every permission request (once each) without asking."
)]
ModeOption = Annotated[PermissionMode, typer.Option(help="Permission mode.")]
MaxTurnsOption = Annotated[int, typer.Option(
    min=1, help="Most model calls that one message may lead to."
)]
ToolsOption = Annotated[str, typer.Option(
    help="Comma-separated tools the agent may use (default: every built-in tool)."
)]
AllowOption = Annotated[list[str] | None, typer.Option(
    help="A rule that needs no approval, e.g. 'Bash(npm test:*)'. Repeatable."
)]
DenyOption = Annotated[list[str] | None, typer.Option(
    help="A rule that is always refused, e.g. 'Bash(rm:*)'. Repeatable."
)]
TitleOption = Annotated[str | None, typer.Option(help="A title for the session list.")]
McpConfigOption = Annotated[Path | None, typer.Option(
    "--mcp-config",
    help="A .mcp.json file whose servers the session gets as its own (the worker in this "
    "process lets them start commands). Without it, the workspace's .mcp.json is used "
    "once you said yes (asked once per version of the file).",
)]
NoWorkerOption = Annotated[bool, typer.Option(
    "--no-worker",
    help="Rely on the workers already serving the task queue (`tenure dev`, `tenure "
    "worker`) instead of also running one in this process.",
)]


def _uses_anthropic(model: str) -> bool:
    prefix, sep, _ = model.partition(":")
    return not sep or prefix == "anthropic"


def _has_anthropic_key() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))


def _needs_key(model: str | None) -> bool:
    """Whether a worker in this process would call Anthropic's API without a key."""
    return model is not None and _uses_anthropic(model) and not _has_anthropic_key()


def _session_config(
    *, model: str | None, prompt: str | None, workspace: Path, mode: PermissionMode,
    session_mode: SessionMode, max_turns: int, tools: str, allow: list[str] | None,
    deny: list[str] | None, title: str | None, agent: str | None = None,
    mcp_config: Path | None = None, yes: bool = False,
) -> SessionConfig:
    """The session's config, or one line on what is wrong with it. A `scripted:` path is
    made absolute here: the worker that reads it may run in another directory."""
    system_prompt, tool_names = None, [t.strip() for t in tools.split(",") if t.strip()]
    if agent:
        definition = _agent_type(agent, workspace)
        system_prompt, tool_names = definition.prompt, definition.tools or tool_names
        asked = definition.model if definition.model != "inherit" else None
        model = model or (MODEL_ALIASES.get(asked, asked) if asked else None)
    model = model or settings.DEFAULT_MODEL
    provider, _, path = model.partition(":")
    if provider == "scripted" and path:
        model = f"scripted:{Path(path).expanduser().resolve()}"
    try:
        return SessionConfig(
            model=model, prompt=prompt, workspace=str(workspace), mode=session_mode,
            permission_mode=mode, max_turns=max_turns, title=title, tools=tool_names,
            system_prompt=system_prompt,
            permissions=PermissionRules(allow=allow or [], deny=deny or []),
            mcp_servers=load_mcp_config(mcp_config) if mcp_config
            else _mcp.workspace_servers(workspace, yes=yes),
        )
    except McpConfigError as e:
        _fail(str(e), code=2)
    except ValidationError as e:
        _fail(f"Invalid session: {validation_problems(e)}", code=2)


def _agent_type(name: str, workspace: Path) -> AgentDefinition:
    """An agent type from the workspace's `.claude/agents/` (or the built-in one)."""
    defined, problems = read_agent_files(workspace)
    types = {GENERAL_PURPOSE_NAME: GENERAL_PURPOSE, **defined}
    if name not in types:
        for problem in problems:
            err.print(Text(problem, style="yellow"))
        _fail(f"No agent type {name!r} in {workspace / AGENTS_FOLDER}; there are: "
              f"{', '.join(sorted(types))}.", code=2)
    return types[name]


def _on_terminal(
    command: str, session: SessionConfig | str, *, no_worker: bool, yes: bool,
    message: str | None = None,
) -> SessionOutcome | None:
    """Start a session (from its config) or come back to one (by id) and follow it on
    the terminal until it ends (its outcome) or the person leaves (None).

    If nothing listens at TEMPORAL_ADDRESS (and it is local), the embedded dev server runs
    meanwhile; a worker runs in this process unless --no-worker and a server was there.
    """
    address = settings.temporal_address()
    listening = is_listening(address)
    worker = not no_worker or not listening
    if isinstance(session, SessionConfig) and worker and _needs_key(session.model):
        _fail(
            "Set ANTHROPIC_API_KEY (or use --model scripted:PATH) to run with the Anthropic "
            f"model {session.model}.",
            code=2,
        )
    if isinstance(session, SessionConfig) and (notice := deprecation(session.model)):
        err.print(Text(f"{notice}.", style="yellow"))
    server = None if listening else _start_server_for(command, address)
    try:
        with _explained(session if isinstance(session, str) else None):
            return asyncio.run(_follow(
                session, server.address if server else address, worker=worker, yes=yes,
                chat=command == "chat", message=message,
                ui_url=server.ui_url if server else None,
            ))
    except KeyboardInterrupt:  # before the follower took over Ctrl-C
        raise typer.Exit(130) from None
    finally:
        if server is not None:
            server.stop()


async def _follow(
    session: SessionConfig | str, address: str, *, worker: bool, yes: bool, chat: bool,
    message: str | None, ui_url: str | None,
) -> SessionOutcome | None:
    if worker:
        out.print(Text(f"Worker log: {log_to_file()}", style="dim"))
    client = await _connect(address)
    agents = AgentClient(client)
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(session, SessionConfig):
            if worker:
                await stack.enter_async_context(build_worker(client, policy=_own_policy()))
            handle = await agents.start(session)
            offset = 0
            out.print(Text(handle.id, style="dim"))
        else:
            handle = agents.get(session)
            about = await handle.workflow.describe()
            if worker and _needs_key(about.typed_search_attributes.get(TENURE_MODEL)):
                _fail("Set ANTHROPIC_API_KEY for this process's worker, or pass --no-worker "
                      "to rely on the workers already serving the task queue.", code=2)
            if worker:
                await stack.enter_async_context(build_worker(client, policy=_own_policy()))
            offset = saved_offset(handle.id)
            since = f"from event {offset}" if offset else "from the start"
            out.print(Text(f"{handle.id} · replaying {since}", style="dim"))
            if message:
                await handle.send(message)
        if ui_url:
            namespace = settings.temporal_namespace()
            out.print(Text(f"{ui_url}/namespaces/{namespace}/workflows/{handle.id}",
                           style="dim"))
        if chat:
            out.print(Text("Type a message (it steers the agent at work); Ctrl-C interrupts; "
                           "/exit leaves; /end ends the session.", style="dim"))
        sent = session.prompt if isinstance(session, SessionConfig) else message
        outcome = await Follower(handle, out, chat=chat, yes=yes).run(offset, sent)
        if outcome is None:
            out.print(Text(
                f"Left session {handle.id}: it goes on wherever a worker serves it "
                f"(`tenure chat {handle.id}` comes back to it).", style="yellow"))
        return outcome


def _own_policy() -> WorkerPolicy:
    """The policy of the worker that `tenure run` and `tenure chat` start: the person's
    own, on their own machine, so their sessions' MCP servers may run commands."""
    return WorkerPolicy(allow_session_mcp_commands=True)


def _print_outcome(outcome: SessionOutcome) -> None:
    """The end of a run (its final text was shown, as Markdown, when it came)."""
    out.rule(style="dim")
    if outcome.error:
        err.print(Text(outcome.error, style="red"))
    out.print(outcome_line(outcome))


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    model: ModelOption = None,
    agent: AgentOption = None,
    workspace: WorkspaceOption = Path("."),
    yes: YesOption = False,
    mode: ModeOption = "default",
    max_turns: MaxTurnsOption = 50,
    tools: ToolsOption = ",".join(DEFAULT_TOOLS),
    allow: AllowOption = None,
    deny: DenyOption = None,
    title: TitleOption = None,
    mcp_config: McpConfigOption = None,
    no_worker: NoWorkerOption = False,
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
    config = _session_config(
        model=model, prompt=task, workspace=workspace, mode=mode, session_mode="autonomous",
        max_turns=max_turns, tools=tools, allow=allow, deny=deny, title=title, agent=agent,
        mcp_config=mcp_config, yes=yes,
    )
    outcome = _on_terminal("run", config, no_worker=no_worker, yes=yes)
    if outcome is None:
        raise typer.Exit(130)
    _print_outcome(outcome)
    raise typer.Exit({"error": 1, "interrupted": 130}.get(outcome.stop_reason, 0))


@app.command()
def chat(
    session_id: Annotated[str | None, typer.Argument(
        help="A session to come back to; without it, a new interactive session starts."
    )] = None,
    message: Annotated[str | None, typer.Option(
        "--message", "-m", help="A first message to send."
    )] = None,
    model: ModelOption = None,
    agent: AgentOption = None,
    workspace: WorkspaceOption = Path("."),
    yes: YesOption = False,
    mode: ModeOption = "default",
    max_turns: MaxTurnsOption = 50,
    tools: ToolsOption = ",".join(DEFAULT_TOOLS),
    allow: AllowOption = None,
    deny: DenyOption = None,
    title: TitleOption = None,
    mcp_config: McpConfigOption = None,
    no_worker: NoWorkerOption = False,
) -> None:
    """Chat with an agent: a new interactive session, or SESSION_ID to come back to one.

    The agent's answers stream in; tool calls show one line each; permission requests
    and the agent's questions are asked inline. A line typed while the agent works steers
    it. Ctrl-C interrupts the turn at work, a second Ctrl-C leaves; `/exit` (or Ctrl-D)
    leaves, `/end` ends the session. A session left goes on: `tenure chat SESSION_ID`
    comes back and replays what was missed. The options other than --yes and --message
    shape a new session only.

    Servers and workers as with `tenure run`.
    """
    if session_id is None:
        session: SessionConfig | str = _session_config(
            model=model, prompt=message, workspace=workspace, mode=mode,
            session_mode="interactive", max_turns=max_turns, tools=tools, allow=allow,
            deny=deny, title=title, agent=agent, mcp_config=mcp_config, yes=yes,
        )
        message = None
    else:
        session = session_id
    outcome = _on_terminal("chat", session, no_worker=no_worker, yes=yes, message=message)
    if outcome is not None:
        if outcome.error:
            err.print(Text(outcome.error, style="red"))
        out.print(outcome_line(outcome))
        raise typer.Exit(1 if outcome.stop_reason == "error" else 0)


# ---- tenure dev / tenure worker --------------------------------------------------------


def _servable_models() -> str:
    """Which providers this process's worker can serve, for `tenure dev` to say."""
    if _has_anthropic_key():
        return "Claude models (anthropic:NAME), scripted:PATH"
    return ("scripted:PATH only: ANTHROPIC_API_KEY is not set, so Claude models are left "
            "to other workers (`tenure run` and `tenure chat` with the key bring their own)")


async def _serve(server: DevServer, db: Path, log: Path) -> int:
    """Run a worker against the dev server until Ctrl-C (or SIGTERM, or SIGHUP)."""
    client = await _connect(server.address)
    worker = build_worker(client)
    stop = asyncio.Event()
    with on_signals(stop.set, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        running = asyncio.create_task(worker.run())
        for label, value in [
            ("Temporal", server.address), ("Web UI", server.ui_url or "off"),
            ("Task queue", settings.task_queue()), ("Database", str(db)),
            ("Models", _servable_models()), ("Log", f"{log} (one line each here)"),
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
    server = _start_server(port, ui_port, db, "dev")
    log = log_to_file(console=True)
    try:
        code = asyncio.run(_serve(server, db, log))
    except KeyboardInterrupt:  # before the worker took over Ctrl-C
        code = 0
    finally:
        server.stop()
    raise typer.Exit(code)


@app.command()
def worker(
    deployment_name: Annotated[str | None, typer.Option(
        envvar="TENURE_DEPLOYMENT_NAME",
        help="Serve a version of this Worker Deployment (with --build-id).",
    )] = None,
    build_id: Annotated[str | None, typer.Option(
        envvar="TENURE_BUILD_ID", help="This worker's build id in the deployment.",
    )] = None,
    task_queue: Annotated[str | None, typer.Option(
        envvar="TENURE_TASK_QUEUE", help="The task queue to serve (default: tenure).",
    )] = None,
    mcp_config: Annotated[Path | None, typer.Option(
        envvar="TENURE_MCP_CONFIG",
        help="A .mcp.json file: MCP servers every session on this worker may use.",
    )] = None,
    tools_only: Annotated[bool, typer.Option(
        "--tools-only",
        help="Serve only the tools of sessions whose tool_queue is --task-queue (no "
        "workflows, no model calls, no model key): a worker on your own machine or VM.",
    )] = False,
    allow_session_mcp_commands: Annotated[bool, typer.Option(
        "--allow-session-mcp-commands",
        help="Let sessions' own mcp_servers start stdio servers (commands) here.",
    )] = False,
) -> None:
    """Run a worker for TEMPORAL_ADDRESS and TENURE_TASK_QUEUE, until Ctrl-C."""
    if bool(deployment_name) != bool(build_id):
        _fail("--deployment-name and --build-id go together.", code=2)
    version = (WorkerDeploymentVersion(deployment_name=deployment_name, build_id=build_id)
               if deployment_name and build_id else None)
    try:
        settings.price_overrides()
    except ValueError as e:
        _fail(str(e), code=2)
    if tools_only and not task_queue:
        _fail("--tools-only needs --task-queue NAME: the tool_queue of its sessions.", code=2)
    try:
        servers = load_mcp_config(mcp_config) if mcp_config else {}
    except McpConfigError as e:
        _fail(str(e), code=2)
    policy = WorkerPolicy(allow_session_mcp_commands=allow_session_mcp_commands)
    address = settings.temporal_address()
    if not is_listening(address, timeout=3.0):
        _fail(_unreachable(address))
    out.print(Text(f"Full log, tracebacks included: {log_to_file(console=True)}",
                   style="dim"))
    with contextlib.suppress(KeyboardInterrupt), _explained():
        asyncio.run(run_worker(
            address, task_queue=task_queue, deployment=version, mcp_servers=servers,
            tools_only=tools_only, policy=policy,
        ))


# ---- sessions --------------------------------------------------------------------------


async def _state_of(agents: AgentClient, session: SessionInfo) -> str:
    """The session's state as the TenureState search attribute has it; for a running
    session on a namespace without it, as the session says ("?" when no worker answers)."""
    if session.state or session.status != "RUNNING":
        return session.state or ""
    status = await agents.status_or_none(session.id, LIST_QUERY_TIMEOUT)
    return status.state.kind if status else "?"


def _started(session: SessionInfo) -> str:
    return session.start_time.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cost(usd: float | None) -> str:
    return "" if usd is None else f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


def _started_by(session: SessionInfo) -> str:
    """`schedule NAME` or `agent of ID` (a subagent), else nothing (a person)."""
    if session.schedule:
        return f"schedule {session.schedule}"
    return f"agent of {session.parent}" if session.parent else ""


def _print_sessions(rows: list[tuple[str, ...]]) -> None:
    if not out.is_terminal:  # piped: whole ids, one tab-separated line per session
        for row in rows:
            print("\t".join(row))
        return
    table = Table(box=None, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("STATUS", no_wrap=True)
    table.add_column("STATE", no_wrap=True)
    table.add_column("STARTED", no_wrap=True)
    table.add_column("TITLE", overflow="ellipsis", no_wrap=True)
    table.add_column("COST", no_wrap=True, justify="right")
    table.add_column("STARTED BY", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    out.print(table)


def _print_waiting(waiting: list[WaitingSession]) -> None:
    """Each waiting session, and under it what it waits for, with the request ids that
    `tenure approve` and `tenure answer` take."""
    for item in waiting:
        session, status = item.session, item.status
        by = f"  ({_started_by(session)})" if session.parent or session.schedule else ""
        out.print(Text.assemble((session.id, "bold"), "  ", (status.state.kind, "yellow"),
                                f"  {_started(session)}  {session.title or ''}", (by, "dim")))
        for pending in status.pending_permissions:
            call = ToolUseBlock(id=pending.tool_use_id, name=pending.tool_name,
                                input=pending.input)
            out.print(Text.assemble("  ", (pending.request_id, "cyan"), f"  {call.summary(100)}"))
        for asked in status.pending_questions:
            for question in asked.questions:
                out.print(Text.assemble("  ", (asked.request_id, "cyan"),
                                        f"  ? {question.question}"))
    if any(item.status.pending_permissions for item in waiting):
        out.print(Text("Decide with: tenure approve SESSION REQUEST [--session | --deny]",
                       style="dim"))
    if any(item.status.pending_questions for item in waiting):
        out.print(Text("Answer with: tenure answer SESSION REQUEST ANSWER...", style="dim"))


@app.command()
def sessions(
    all_: Annotated[bool, typer.Option(
        "--all", help=f"Every session, not only the newest {LIST_LIMIT}."
    )] = False,
    state: Annotated[StateKind | None, typer.Option(
        help="Only the running sessions in this state; for the waiting states, with the "
        "requests each one waits on.",
    )] = None,
) -> None:
    """List sessions, newest first, with their state."""
    limit = 2**31 if all_ else LIST_LIMIT

    async def waiting() -> list[WaitingSession]:
        agents = AgentClient(await _connect())
        return await agents.waiting(state, limit=limit)

    async def listed() -> list[tuple[str, ...]]:
        agents = AgentClient(await _connect())
        found = await agents.list(state=state, limit=limit)
        states = await asyncio.gather(*(_state_of(agents, s) for s in found))
        return [(s.id, s.status.lower(), kind, _started(s), s.title or "", _cost(s.cost_usd),
                 _started_by(s))
                for s, kind in zip(found, states, strict=True)]

    with _explained():
        try:
            if state in WAITING_STATES:
                found = asyncio.run(waiting())
                if found:
                    _print_waiting(found)
                else:
                    out.print(f"No session is {state} now.")
                return
            rows = asyncio.run(listed())
        except SearchAttributeMissingError as e:
            _fail(str(e))
    if rows:
        _print_sessions(rows)
    elif state:
        out.print(f"No session is {state} now.")
    else:
        out.print('No sessions yet: start one with `tenure run "task"` or `tenure chat`.')


@app.command()
def show(session_id: Annotated[str, typer.Argument(help="The session id.")]) -> None:
    """Print a session's transcript and its status."""

    async def read(handle: SessionHandle) -> tuple[SessionStatus, list[Message]]:
        status = await handle.status()
        return status, (await handle.transcript(full=True)).messages

    status, messages = _with_session(session_id, read)
    for message in messages:
        for line in transcript_lines(message):
            out.print(line)
        out.print()
    out.print(status_line(session_id, status))
    if status.error:
        out.print(Text(status.error, style="red"))
    for pending in status.pending_permissions:
        for line in permission_lines(pending):
            out.print(line)
        out.print(Text(f"  tenure approve {session_id} {pending.request_id}  "
                       "(--deny to refuse)", style="dim"))
    for question in status.pending_questions:
        for q in question.questions:
            for line in question_lines(q):
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

    async def go(handle: SessionHandle) -> bool:
        if not await handle.takes_messages():
            return False
        await handle.send(text)
        return True

    if not _with_session(session_id, go):
        _fail(f"Session {session_id} has already finished.")
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
    by = who()
    if deny:
        _with_session(session_id, lambda h: h.deny(request_id, reason=reason, decided_by=by))
        out.print(f"Denied {request_id}.")
    else:
        scope = "session" if session else "once"
        _with_session(session_id, lambda h: h.approve(request_id, scope=scope, decided_by=by))
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
        pending = await handle.pending_question(request_id)
        if len(answers) != len(pending.questions):
            _fail(f"{len(pending.questions)} questions need {len(pending.questions)} answers; "
                  f"got {len(answers)}.", code=2)
        await handle.answer(request_id, {
            q.question: chosen(q, a) for q, a in zip(pending.questions, answers, strict=True)
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


from tenure.cli import schedule as _schedule  # noqa: E402,F401 - registers `tenure schedule`
from tenure.cli import serve as _serve_commands  # noqa: E402,F401 - registers serve, token
from tenure.cli import mcp as _mcp  # noqa: E402,F401 - registers `tenure mcp`

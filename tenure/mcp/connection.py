"""One connection to one MCP server, held open on the host worker for a session.

The SDK's client lives in a task of its own (its context must be entered and left in
one task), which keeps it open until the connection is closed; calls from any activity
go through it. A connection whose transport has closed (a stdio server that died) is
opened again by the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import IO, Any, TextIO, cast

import mcp_types as types
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.dispatcher import ProgressFnT
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from tenure.mcp.errors import ConnectionLost, McpUnavailable
from tenure.models import McpServerSpec

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 60.0
"""Seconds a server may take to start and answer the handshake (an `npx` download)."""
CLOSE_TIMEOUT = 10.0
PING_TIMEOUT = 5.0
STDERR_TAIL = 1500
"""Characters of a stdio server's stderr quoted when it fails to start."""


class McpConnection:
    def __init__(self, name: str, spec: McpServerSpec, env: dict[str, str], cwd: str) -> None:
        self.name = name
        self.spec = spec
        """With `${VAR}` expanded: never sent anywhere but to the server."""
        self._env = env
        self._cwd = cwd
        self._client: Client | None = None
        self._holder: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._stderr: IO[str] | None = None
        self._lock = asyncio.Lock()
        self.tools: list[types.Tool] = []
        self.tools_read = 0
        """How many times `tools` was read from the server (it may differ each time)."""
        self.list_changed = False
        """The server said its tool list changed since `tools` was read."""
        self.last_used = time.monotonic()
        self.opened = 0
        """How many times the connection was opened (1 + reconnects)."""
        self.calls = 0
        """Calls running now (an idle connection has none)."""

    @property
    def alive(self) -> bool:
        client = self._client
        return (
            client is not None
            and self._holder is not None
            and not self._holder.done()
            and not _transport_closed(client)
        )

    async def ensure_open(self) -> None:
        """Open the connection if it is not (or no longer) open, and read its tools."""
        async with self._lock:
            self.last_used = time.monotonic()  # a call is coming: not idle (see close_if_idle)
            if self.alive:
                return
            await self._shut()
            await self._open()

    async def close_if_idle(self, idle_seconds: float) -> bool:
        """Close the connection if it is open and no call used it for `idle_seconds`.
        Checked under the lock: a call that opened it while this waited keeps it."""
        async with self._lock:
            if not self.alive or self.calls or time.monotonic() - self.last_used <= idle_seconds:
                return False
            await self._shut()
            return True

    async def reopen(self, lost: ConnectionLost) -> None:
        """Open the connection again after `lost` (unless another call did already)."""
        async with self._lock:
            if self.alive and self.opened != lost.opened:
                return
            await self._shut()
            await self._open()

    async def ensure_answering(self) -> None:
        """Before a call that must not be sent into a dead connection: make sure a stdio
        server still answers (one small request), else open the connection again. A
        server that died a moment ago may not have been noticed yet (its pipe's end is
        read a little later); a call sent then would be "in flight" when it breaks."""
        await self.ensure_open()
        client = self._client
        if self.spec.transport != "stdio" or client is None:
            return
        if not await _answers(client):
            async with self._lock:
                await self._shut()
                await self._open()

    async def call(
        self, tool: str, arguments: dict[str, Any], on_progress: ProgressFnT | None = None
    ) -> types.CallToolResult:
        """Call a tool; ConnectionLost when the connection is broken or breaks meanwhile,
        MCPError for an error the server answered with. `on_progress` gets the server's
        progress notifications."""
        self.last_used = time.monotonic()
        client, opened = self._client, self.opened

        def lost(why: str, sent: bool) -> ConnectionLost:
            return ConnectionLost(f"MCP server {self.name}: {why}", sent=sent, opened=opened)

        if client is None or not self.alive:
            raise lost("the connection is closed", False)
        self.calls += 1
        try:
            return await client.call_tool(tool, arguments, progress_callback=on_progress)
        except MCPError as e:
            if e.code == types.CONNECTION_CLOSED and _transport_closed(client):
                raise lost("the connection closed during the call", True) from e
            if _has_session(client, self.spec) and not await _answers_ping(client):
                # The server refuses the connection's session (it restarted or dropped
                # it): it did not take the call, so it is safe to send on a new session.
                raise lost("the server dropped the connection's session", False) from e
            raise
        except (OSError, EOFError, ConnectionError, asyncio.IncompleteReadError) as e:
            raise lost(f"the connection broke: {e}", True) from e
        except Exception as e:
            if _is_transport_error(e):
                raise lost(f"the connection broke: {_describe(e)}", True) from e
            raise
        finally:
            self.calls -= 1
            self.last_used = time.monotonic()

    async def refresh_tools(self) -> None:
        self.list_changed = False
        client = self._client
        if client is not None and self.alive:
            self.tools = await _all_tools(client)
            self.tools_read += 1

    async def close(self) -> None:
        async with self._lock:
            await self._shut()

    # ---- opening and holding ------------------------------------------------------------

    async def _open(self) -> None:
        self._stop = asyncio.Event()
        ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
        self._holder = asyncio.create_task(self._hold(ready), name=f"mcp {self.name}")
        try:
            client = await asyncio.wait_for(asyncio.shield(ready), OPEN_TIMEOUT)
            self.tools = await asyncio.wait_for(_all_tools(client), OPEN_TIMEOUT)
            self.tools_read += 1
        except BaseException as e:
            problem = self._problem(e)
            await self._shut()
            if isinstance(e, asyncio.CancelledError):
                raise
            raise McpUnavailable(problem) from e
        self.list_changed = False
        self.opened += 1
        self.last_used = time.monotonic()

    async def _hold(self, ready: asyncio.Future[Client]) -> None:
        """Keep the client open until close (or until it fails)."""
        try:
            async with Client(
                self._transport(), message_handler=self._on_message, cache=None
            ) as client:
                self._client = client
                if not ready.done():
                    ready.set_result(client)
                async with _listening(client):
                    await self._stop.wait()
        except BaseException as e:  # noqa: BLE001 - reported to whoever waits to open
            if not ready.done():
                ready.set_exception(e if isinstance(e, Exception) else RuntimeError(str(e)))
            else:
                log.info("MCP server %s: connection ended: %s", self.name, _describe(e))
            if isinstance(e, asyncio.CancelledError):
                raise
        finally:
            self._client = None

    def _transport(self) -> AbstractAsyncContextManager[Any]:
        spec = self.spec
        if spec.transport == "stdio":
            assert spec.command is not None
            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
            params = StdioServerParameters(
                command=spec.command, args=spec.args, env=self._env, cwd=self._cwd
            )
            return stdio_client(params, errlog=cast(TextIO, self._stderr))
        assert spec.url is not None
        if spec.transport == "sse":
            return sse_client(spec.url, headers=spec.headers or None)
        return _http(spec.url, spec.headers)

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self.list_changed = True

    async def _shut(self) -> None:
        holder, self._holder = self._holder, None
        if holder is not None and not holder.done():
            self._stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(holder), CLOSE_TIMEOUT)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - closing anyway
                holder.cancel()
                with contextlib.suppress(BaseException):
                    await holder
        self._client = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _problem(self, error: BaseException) -> str:
        what = f"MCP server {self.name} could not start" if self.spec.transport == "stdio" \
            else f"MCP server {self.name} at {self.spec.url} could not be reached"
        if isinstance(error, asyncio.TimeoutError):
            message = f"{what}: no answer within {OPEN_TIMEOUT:.0f} s"
        else:
            message = f"{what}: {_describe(error)}"
        tail = self._stderr_tail()
        return f"{message}\nIts stderr ended with:\n{tail}" if tail else message

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            return self._stderr.read()[-STDERR_TAIL:].strip()
        except (OSError, ValueError):
            return ""


@contextlib.asynccontextmanager
async def _http(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    async with create_mcp_http_client(headers=headers or None) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


@contextlib.asynccontextmanager
async def _listening(client: Client) -> AsyncIterator[None]:
    """Subscribe to tool list changes where the protocol needs it (2026-07-28 servers
    send them on a `subscriptions/listen` stream; earlier ones send them anyway). The
    notifications reach the message handler either way."""
    tools = client.server_capabilities.tools
    if client.protocol_version not in MODERN_PROTOCOL_VERSIONS or not (tools and tools.list_changed):
        yield
        return
    subscription = client.listen(tools_list_changed=True)
    try:
        await subscription.__aenter__()
    except Exception as e:  # noqa: BLE001 - the connection works without it
        log.info("No tool list subscription: %s", _describe(e))
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await subscription.__aexit__(None, None, None)


async def _all_tools(client: Client) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(100):
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _has_session(client: Client, spec: McpServerSpec) -> bool:
    """Whether the connection has a session the server may drop: HTTP before the
    2026-07-28 protocol (which has no sessions)."""
    return spec.transport != "stdio" and client.protocol_version not in MODERN_PROTOCOL_VERSIONS


async def _answers(client: Client) -> bool:
    """Whether the server answers a small request (a ping, or where the protocol has
    none, the tool list)."""
    if client.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return await _answers_ping(client)
    try:
        await asyncio.wait_for(client.list_tools(), PING_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means no
        return False
    return True


async def _answers_ping(client: Client) -> bool:
    """Ping is how a handshake-era HTTP session is checked; the SDK warns that the
    2026-07-28 protocol has none, which is why only older ones are pinged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await asyncio.wait_for(client.send_ping(), PING_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means no
        return False
    return True


def _transport_closed(client: Client) -> bool:
    """Whether the client's transport has ended (the server's process exited, the
    stream closed). The SDK keeps this on its dispatcher, which has no public flag."""
    try:
        dispatcher = client.session._dispatcher  # noqa: SLF001
    except RuntimeError:
        return True
    return bool(getattr(dispatcher, "_closed", False))


def _is_transport_error(error: BaseException) -> bool:
    """An error of the connection (anyio streams, HTTP), not an answer of the server."""
    module = type(error).__module__
    return module.startswith(("anyio", "httpx", "httpcore"))


def _describe(error: BaseException) -> str:
    """One line for an error, looking inside exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    text = str(error) or type(error).__name__
    if isinstance(error, MCPError):
        return text
    return text if type(error).__name__ in text else f"{type(error).__name__}: {text}"

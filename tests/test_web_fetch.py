"""WebFetch against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tenure.tools import ToolContext, ToolError, input_schema, web_fetch
from tenure.tools.limits import MAX_RESULT_BYTES
from tenure.tools.web_fetch import WebFetchInput, WebFetchTool

PAGE = """<!doctype html>
<html><head><title>The  Guide &amp; Index</title>
<style>body { color: STYLE_TOKEN; }</style>
<script>var token = "SCRIPT_TOKEN";</script></head>
<body>
<nav><a href="/home">NAV_TOKEN home</a></nav>
<h1>Getting started</h1>
<p>Install it, then read <a href="/docs/intro.html">the   introduction</a>
or <a href="https://example.org/faq">the FAQ</a>.</p>
<h2>Steps</h2>
<ol><li>Download</li><li>Run <code>setup</code></li></ol>
<ul><li>fast</li><li>small</li></ul>
<footer>FOOTER_TOKEN</footer>
</body></html>"""

Route = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int, body: bytes = b"", content_type: str | None = None, **headers: str) -> Route:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def endless(handler: BaseHTTPRequestHandler) -> None:
    """text/plain that never ends: only the size cap stops the reading."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.end_headers()
    chunk = b"x" * 65536
    try:
        for _ in range(10_000):  # 655 MB: far more than the cap, but not forever
            handler.wfile.write(chunk)
    except OSError:
        pass


def slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(3)
    reply(200, b"late", "text/plain")(handler)


ROUTES: dict[str, Route] = {
    "/page.html": reply(200, PAGE.encode(), "text/html; charset=utf-8"),
    "/plain.txt": reply(200, b"just  text\n<b>not html</b>\n", "text/plain"),
    "/latin1.txt": reply(200, "café".encode("latin-1"), "text/plain; charset=iso-8859-1"),
    "/data.json": reply(200, b'{"a": [1, 2], "b": "<p>"}', "application/json"),
    "/missing": reply(404, b"nothing here", "text/plain"),
    "/broken": reply(500, b"oops", "text/plain"),
    "/image.png": reply(200, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
    "/untyped": reply(200, b"\0\1\2binary"),
    "/long.txt": reply(200, b"y" * 150_000, "text/plain"),
    "/wide.txt": reply(200, "字".encode() * 1_000_000, "text/plain; charset=utf-8"),
    "/endless": endless,
    "/slow": slow,
    "/to-file": reply(302, Location="file:///etc/passwd"),
    "/to-ftp": reply(301, Location="ftp://127.0.0.1/x"),
    "/empty.html": reply(200, b"<html><script>x()</script></html>", "text/html"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/hops/"):
            # /hops/N redirects (relative, then absolute, alternating) until N is 0.
            n = int(self.path.rsplit("/", 1)[1])
            if n == 0:
                reply(200, b"arrived", "text/plain")(self)
            elif n % 2:
                reply(302, Location=f"{n - 1}")(self)
            else:
                reply(307, Location=f"http://{self.headers['Host']}/hops/{n - 1}")(self)
            return
        ROUTES.get(self.path, reply(404))(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path, session_id="s")


async def fetch(ctx: ToolContext, url: str, **input: Any) -> str:
    return await WebFetchTool().execute(WebFetchInput.model_validate({"url": url, **input}), ctx)


def test_input_model() -> None:
    tool = WebFetchTool()
    assert tool.kind == "execute"  # it sends data out: asks in default mode
    tool.input_model.model_validate({"url": "http://x"})
    with pytest.raises(ValidationError, match="bogus"):
        tool.input_model.model_validate({"url": "http://x", "bogus": 1})
    assert set(input_schema(tool)["properties"]) == {"url", "prompt"}
    assert "Question:" in tool.description


async def test_html_becomes_readable_text(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/page.html", prompt="How do I install it?")
    assert out == (
        "Question: How do I install it?\n"
        "\n"
        f"URL: {server}/page.html\n"
        "Content-Type: text/html\n"
        "\n"
        "Title: The Guide & Index\n"
        "\n"
        "# Getting started\n"
        "\n"
        f"Install it, then read the introduction ({server}/docs/intro.html) "
        "or the FAQ (https://example.org/faq).\n"
        "\n"
        "## Steps\n"
        "\n"
        "1. Download\n"
        "2. Run setup\n"
        "\n"
        "- fast\n"
        "- small"
    )
    for boilerplate in ["STYLE_TOKEN", "SCRIPT_TOKEN", "NAV_TOKEN", "FOOTER_TOKEN"]:
        assert boilerplate in PAGE and boilerplate not in out


async def test_page_without_text(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/empty.html")
    assert out.endswith("Content-Type: text/html\n\n(the page has no readable text)")


async def test_plain_text_as_is(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/plain.txt")
    assert out == (
        f"URL: {server}/plain.txt\nContent-Type: text/plain\n\njust  text\n<b>not html</b>\n"
    )


async def test_declared_charset(ctx: ToolContext, server: str) -> None:
    assert (await fetch(ctx, f"{server}/latin1.txt")).endswith("\n\ncafé")


async def test_json_as_is(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/data.json")
    head, body = out.split("\n\n", 1)
    assert head == f"URL: {server}/data.json\nContent-Type: application/json"
    assert json.loads(body) == {"a": [1, 2], "b": "<p>"}
    assert body == '{"a": [1, 2], "b": "<p>"}'


async def test_redirects_within_the_limit(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/hops/5")
    assert out == (
        f"URL: {server}/hops/0 (redirected from {server}/hops/5)\n"
        "Content-Type: text/plain\n\narrived"
    )


async def test_too_many_redirects(ctx: ToolContext, server: str) -> None:
    with pytest.raises(ToolError, match="Too many redirects: .*/hops/6 redirected more than 5"):
        await fetch(ctx, f"{server}/hops/6")


@pytest.mark.parametrize(
    ("path", "target"), [("/to-file", "file:///etc/passwd"), ("/to-ftp", "ftp://127.0.0.1/x")]
)
async def test_redirect_to_another_scheme_is_refused(
    ctx: ToolContext, server: str, path: str, target: str
) -> None:
    with pytest.raises(ToolError, match=f"redirected to {target}, which is not an http"):
        await fetch(ctx, f"{server}{path}")


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1/x", "http:/x"]
)
async def test_only_http_urls(ctx: ToolContext, url: str) -> None:
    with pytest.raises(ToolError, match="only http:// and https:// URLs"):
        await fetch(ctx, url)


@pytest.mark.parametrize(("path", "status"), [("/missing", "404 Not Found"), ("/broken", "500")])
async def test_http_errors(ctx: ToolContext, server: str, path: str, status: str) -> None:
    with pytest.raises(ToolError, match=f"HTTP {status}.* from {server}{path}"):
        await fetch(ctx, f"{server}{path}")


async def test_size_cap_stops_reading(
    ctx: ToolContext, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_fetch, "MAX_BYTES", 200_000)
    start = time.monotonic()
    out = await fetch(ctx, f"{server}/endless")
    assert time.monotonic() - start < 10
    body, cut_note, size_note = out.split("\n\n", 1)[1].rsplit("\n", 2)
    assert body == "x" * 100_000
    assert cut_note == f"... [content cut: 100000 more characters; {web_fetch.CUT_HINT}]"
    assert size_note == (
        "[stopped reading after 200,000 bytes: the rest of the response was not downloaded]"
    )


async def test_output_cut(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/long.txt")
    assert out.endswith(
        "\n\n" + "y" * 100_000 + f"\n... [content cut: 50000 more characters; {web_fetch.CUT_HINT}]"
    )


async def test_output_of_wide_characters_is_cut_by_bytes(ctx: ToolContext, server: str) -> None:
    out = await fetch(ctx, f"{server}/wide.txt", prompt="What does it say?")
    assert len(out.encode()) <= MAX_RESULT_BYTES
    body = out.split("\n\n", 2)[2]
    shown, note = body.split("\n... [content cut: ")
    assert set(shown) == {"字"} and len(shown.encode()) > MAX_RESULT_BYTES - 2048
    assert note == f"{1_000_000 - len(shown)} more characters; {web_fetch.CUT_HINT}]"


@pytest.mark.parametrize(("path", "what"), [("/image.png", "image/png"), ("/untyped", "binary")])
async def test_binary_is_refused(ctx: ToolContext, server: str, path: str, what: str) -> None:
    with pytest.raises(ToolError, match=f"{path} is {what}.*not text"):
        await fetch(ctx, f"{server}{path}")


async def test_connection_refused(ctx: ToolContext) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ToolError, match=f"Could not fetch http://127.0.0.1:{port}/: ConnectError"):
        await fetch(ctx, f"http://127.0.0.1:{port}/")


async def test_timeout(ctx: ToolContext, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_fetch, "TIMEOUT_S", 0.3)
    start = time.monotonic()
    with pytest.raises(ToolError, match="timed out after 0.3 s"):
        await fetch(ctx, f"{server}/slow")
    assert time.monotonic() - start < 2

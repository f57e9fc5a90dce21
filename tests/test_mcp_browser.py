"""Browser hands: @playwright/mcp (pinned in tests/mcp_servers) driving Debian's chromium
as a stdio MCP server; the scripted model opens a page the test serves, reads it from a
snapshot, clicks its button and sees the page change."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ScriptWriter, tool_use, text
from mcp_support import PLAYWRIGHT, mcp_worker, results, server_pids
from temporalio.client import Client

from tenure import SessionConfig
from tenure.models import McpServerSpec

CHROMIUM = Path("/usr/bin/chromium")
PAGE = """<!doctype html><title>Tenure test page</title>
<h1 id="message">Nothing clicked yet</h1>
<button onclick="document.getElementById('message').textContent = 'The button was clicked'">
Press me</button>"""

pytestmark = pytest.mark.skipif(
    not (PLAYWRIGHT.exists() and CHROMIUM.exists()),
    reason="needs `npm ci` in tests/mcp_servers and Debian's chromium (see .ci/run)",
)


def browser() -> McpServerSpec:
    """The `.mcp.json` entry README shows."""
    return McpServerSpec(command=str(PLAYWRIGHT), args=[
        "--browser", "chromium", "--executable-path", str(CHROMIUM),
        "--headless", "--no-sandbox", "--isolated",
    ])


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser that closes a connection early is no failure here


@pytest.fixture
def page_url(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE)
    handler = functools.partial(QuietHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


async def test_the_agent_opens_a_page_clicks_its_button_and_sees_it_change(
    temporal_client: Client, script: ScriptWriter, workspace: Path, page_url: str
) -> None:
    model = script([
        [tool_use("mcp__browser__browser_navigate", {"url": page_url})],
        [tool_use("mcp__browser__browser_snapshot", {})],
        [tool_use("mcp__browser__browser_click", {"element": "Press me button", "target": "e3"})],
        [tool_use("mcp__browser__browser_snapshot", {})],
        [text("The page says the button was clicked.")],
    ])
    async with mcp_worker(temporal_client, {"browser": browser()}) as agents:
        handle = await agents.start(SessionConfig(
            model=model, prompt="Press the button on the page", workspace=str(workspace),
            mode="autonomous",
            # Navigating and clicking change things: allowed here, asked for otherwise.
            permissions={"allow": ["mcp__browser__browser_navigate", "mcp__browser__browser_click"]},
        ))
        outcome = await handle.result()
        assert outcome.stop_reason == "end_turn"
        opened, before, clicked, after = results((await handle.transcript()).messages)
        for result in (opened, before, clicked, after):
            assert not result.is_error, result.content
        assert "Tenure test page" in opened.content
        assert 'heading "Nothing clicked yet"' in before.content
        assert 'button "Press me" [ref=e3]' in before.content
        assert 'heading "The button was clicked"' in after.content
    assert not server_pids(str(PLAYWRIGHT))  # closed with the session and the worker

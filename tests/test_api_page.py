"""The web page at `/`, in a real browser (Debian's chromium driven by Playwright): a
person opens a session that waits for approval, approves it, and messages the agent."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_support import Api, api, issuer  # noqa: F401
from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from playwright.async_api import Browser, Page, async_playwright, expect

from tenure import AgentClient
from tenure.models.events import PermissionResolved

CHROMIUM = os.environ.get("TENURE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_page(browser: Browser, api: Api, token: str) -> Page:
    page = await browser.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{api.base_url}/#token={token}")
    return page


async def test_a_person_approves_a_tool_call_in_the_browser(
    api: Api, browser: Browser, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    model = script(
        [
            [text("Let me check."), tool_use("Bash", {"command": "echo from-the-browser"})],
            [text("The command ran.")],
            [text("You said thanks.")],
        ]
    )
    created = await api.http.post(
        "/sessions",
        headers=api.issuer.headers("dana"),
        json={
            "model": model,
            "prompt": "run it",
            "workspace": str(workspace),
            "title": "Browser job",
        },
    )
    session_id = created.json()["session_id"]
    handle = agent_client.get(session_id)
    await wait_for(handle, state_is("waiting_for_permission"))

    page = await open_page(browser, api, api.issuer.token("dana"))
    row = page.locator(".session", has_text="Browser job")
    await expect(row).to_contain_text("1 waiting")  # waiting requests are shown first
    await expect(page.locator(".session").first).to_contain_text("Browser job")
    await row.click()
    await expect(page.locator("#log")).to_contain_text("Let me check.")
    card = page.locator(".card", has_text="Bash wants to run")
    await expect(card).to_contain_text("echo from-the-browser")
    await card.get_by_role("button", name="Approve", exact=True).click()

    await expect(card).to_contain_text("allow by dana")
    await expect(page.locator("#log")).to_contain_text("The command ran.")
    await expect(page.locator("#log .tool")).to_contain_text("from-the-browser")
    await expect(page.locator("#state")).to_have_text("idle")
    await expect(page.locator("#usage")).to_have_text("· 40 tokens")  # 2 scripted calls of 20
    decisions = []
    async for item in handle.events(deltas=False):
        if isinstance(item.event, PermissionResolved):
            decisions.append(item.event)
        if item.event.type == "turn_end" and decisions:
            break
    assert [(d.decision, d.decided_by) for d in decisions] == [("allow", "dana")]

    await page.locator("#message").fill("thanks")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#log")).to_contain_text("> thanks")
    await expect(page.locator("#log")).to_contain_text("You said thanks.")
    await handle.end()
    await expect(page.locator("#state")).to_contain_text("ended")


async def test_the_page_answers_the_agents_question_and_shows_only_the_callers_sessions(
    api: Api, browser: Browser, agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    question = {
        "question": "Which color?",
        "header": "Color",
        "options": [{"label": "red"}, {"label": "blue"}],
    }
    model = script(
        [[tool_use("AskUserQuestion", {"questions": [question]})], [text("Blue it is.")]]
    )
    created = await api.http.post(
        "/sessions",
        headers=api.issuer.headers("erin"),
        json={
            "model": model,
            "prompt": "pick",
            "workspace": str(workspace),
            "title": "Erin's colors",
            "tools": ["AskUserQuestion"],
        },
    )
    handle = agent_client.get(created.json()["session_id"])
    await wait_for(handle, state_is("waiting_for_user_input"))

    stranger = await open_page(browser, api, api.issuer.token("frank"))
    await expect(stranger.locator("#sessions")).to_be_visible()
    await expect(stranger.locator("#sessions")).not_to_contain_text("Erin's colors")
    await expect(stranger.locator("#sessions")).not_to_contain_text("Loading")

    page = await open_page(browser, api, api.issuer.token("erin"))
    await page.locator(".session", has_text="Erin's colors").click()
    card = page.locator(".card", has_text="Which color?")
    await card.get_by_role("button", name="blue").click()
    await card.get_by_role("button", name="Answer").click()
    await expect(card).to_contain_text("answered: blue by erin")
    await expect(page.locator("#log")).to_contain_text("Blue it is.")
    await handle.end()

"""Budgets: what a session tree may spend on model calls, in dollars (the catalog's
prices, or the worker's TENURE_PRICES) and in tokens. At the limit no further model call
starts; the stop reason is `budget`; `set_budget` with room resumes the stopped turn."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for
from fake_anthropic import FakeAnthropic

from tenure import AgentClient, SessionConfig
from tenure.models.catalog import PRICES, Prices, context_window, prices
from tenure.models.events import ErrorReported, TurnEnded, UsageReported
from tenure.models.messages import Usage
from tenure.models.search import TENURE_COST_USD


def test_the_catalog_prices_models_by_prefix_and_overrides_win() -> None:
    sonnet = prices("anthropic:claude-sonnet-4-5-20250929")
    assert sonnet == PRICES["claude-sonnet-4"]
    assert sonnet is not None and sonnet.cost_usd(Usage(
        input_tokens=1_000_000, output_tokens=1_000_000, cache_creation_input_tokens=1_000_000,
        cache_read_input_tokens=1_000_000)) == pytest.approx(3 + 15 + 3.75 + 0.3)
    assert prices("openai:gpt-4o-mini") == PRICES["gpt-4o-mini"]  # the longer prefix
    assert prices("scripted:/tmp/x.json") is None
    mine = Prices(input=1, output=2)
    assert prices("claude-sonnet-4-5", {"claude-sonnet": mine}) == mine
    assert context_window("openai:gpt-4.1") == 1_047_576


async def test_a_dollar_budget_stops_the_tree_and_set_budget_resumes(
    start_session: StartSession, fake: FakeAnthropic, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("a\n")
    read = {"type": "tool_use", "name": "Read", "input": {"file_path": "a.txt"}}
    fake.add(*(FakeAnthropic.stream([read]) for _ in range(3)), FakeAnthropic.stream(["Done."]))
    per_call = (10 * 3 + 5 * 15) / 1_000_000  # the fake's usage at Sonnet's prices
    handle = await start_session("claude-sonnet-4-5", prompt="read thrice",
                                 tools=["Read"], budget={"max_usd": 1.5 * per_call})
    events = []
    async for item in handle.events(0):
        events.append(item.event)
        if isinstance(item.event, TurnEnded) and item.event.stop_reason == "budget":
            break
    status = await wait_for(handle, state_is("idle"), 30)
    assert len(fake.requests) == 2  # the second call passed the budget: no third
    assert status.cost_usd == pytest.approx(2 * per_call)
    assert status.cost_usd_total == status.cost_usd
    assert [e.stop_reason for e in events if isinstance(e, TurnEnded)][-1] == "budget"
    assert any(isinstance(e, ErrorReported) and "stopped at its budget" in e.message
               for e in events)
    assert [e.cost_usd for e in events if isinstance(e, UsageReported)] == [
        pytest.approx(per_call)] * 2
    await handle.workflow.signal("set_budget", {"max_usd": 1.0})
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 4, 30)
    assert (await handle.status()).budget.max_usd == 1.0
    assert len(fake.requests) == 4
    attributes = (await handle.workflow.describe()).typed_search_attributes
    assert attributes.get(TENURE_COST_USD) == pytest.approx(4 * per_call)
    await handle.end()


async def test_an_autonomous_session_completes_at_its_token_budget(
    start_session: StartSession, script: ScriptWriter, workspace: Path
) -> None:
    calls = [[tool_use("Glob", {"pattern": "*"})] for _ in range(5)]
    handle = await start_session(script([*calls, [text("never")]]), prompt="go",
                                 mode="autonomous", tools=["Glob"], budget={"max_tokens": 50})
    outcome = await asyncio.wait_for(handle.result(), 30)
    assert outcome.stop_reason == "budget"
    assert outcome.usage.input_tokens + outcome.usage.output_tokens >= 50
    assert outcome.turns == 3  # 20 tokens a call: the third passed 50


async def test_subagents_share_what_is_left_and_their_cost_rolls_up(
    start_session: StartSession, agent_client: AgentClient, script: ScriptWriter,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    priced = tmp_path / "prices.json"
    priced.write_text(json.dumps({"/": {"input": 1000, "output": 1000}}))  # scripted paths
    monkeypatch.setenv("TENURE_PRICES", str(priced))
    child = script([[text("child done")]])
    parent = script([
        [tool_use("Agent", {"description": "one", "prompt": "p", "subagent_type": "c"}),
         tool_use("Agent", {"description": "two", "prompt": "p", "subagent_type": "c"})],
        [text("all done")],
    ])
    handle = await start_session(parent, prompt="go", mode="autonomous", tools=["Agent"],
                                 budget={"max_usd": 1.0},
                                 agents={"c": {"description": "d", "prompt": "p", "model": child}})
    outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome.text == "all done"
    per_call = 20 * 1000 / 1_000_000
    assert outcome.cost_usd == pytest.approx(2 * per_call)
    assert outcome.cost_usd_total == pytest.approx(4 * per_call)
    for n in (1, 2):
        child_handle = agent_client.get(f"{handle.id}/agent-{n}")
        started = (await child_handle.workflow.fetch_history()).events[0]
        payload = started.workflow_execution_started_event_attributes.input.payloads[0]
        budget = SessionConfig.model_validate_json(payload.data).budget
        assert budget.max_usd == pytest.approx((1.0 - per_call) / 2)


async def test_a_bad_price_file_is_a_clear_error(
    start_session: StartSession, script: ScriptWriter, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text(json.dumps({"claude": {"input": "cheap"}}))
    monkeypatch.setenv("TENURE_PRICES", str(bad))
    handle = await start_session(script([[text("hi")]]), prompt="go", mode="autonomous")
    outcome = await asyncio.wait_for(handle.result(), 30)
    assert outcome.stop_reason == "error" and outcome.error is not None
    assert f"TENURE_PRICES={bad}: claude.input: Input should be a valid number" in outcome.error

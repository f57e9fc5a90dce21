"""Subagents: the Agent tool starts child sessions `<parent>/agent-<n>`, side by side,
with their own scripts or models; their texts come back as tool results, their usage
rolls up, their requests reach a person through the fleet inbox, and an interrupt of the
parent ends them."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from commands import cli_env, tenure
from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from fake_anthropic import FakeAnthropic
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.models import ToolResultBlock, WorkerPolicy
from tenure.models.events import SessionEvent, SubagentEnded, SubagentStarted
from tenure.devserver import DevServer
from tenure.models.agents import GENERAL_PURPOSE
from tenure.models.search import TENURE_OWNER, TENURE_PARENT
from tenure.workers import build_worker


@pytest.fixture
async def agents(temporal_client: Client) -> AsyncIterator[AgentClient]:
    queue = f"agents-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, task_queue=queue):
        yield AgentClient(temporal_client, task_queue=queue)


def agent(description: str, prompt: str, subagent_type: str | None = None,
          use_id: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"description": description, "prompt": prompt}
    if subagent_type:
        fields["subagent_type"] = subagent_type
    return tool_use("Agent", fields, use_id)


def results(handle_messages: list[object]) -> list[ToolResultBlock]:
    return [b for m in handle_messages for b in m.content  # type: ignore[attr-defined]
            if isinstance(b, ToolResultBlock)]


async def events_of(handle: SessionHandle) -> list[SessionEvent]:
    return [item.event async for item in handle.events(0)]


async def test_two_subagents_run_side_by_side_and_report_back(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("the answer is 42\n")
    alpha = script([[tool_use("Read", {"file_path": "notes.txt"})], [text("alpha: 42")]])
    beta = script([[tool_use("Bash", {"command": "echo beta > beta.txt"})], [text("beta: wrote")]])
    parent = script([
        [agent("find the answer", "Read notes.txt", "alpha", "toolu_alpha"),
         agent("write a file", "Write beta.txt", "beta", "toolu_beta")],
        [text("Both reported.")],
    ])
    handle = await agents.start(SessionConfig(
        model=parent, prompt="delegate", mode="autonomous", workspace=str(workspace),
        tools=["Read", "Bash", "Agent"],
        agents={"alpha": {"description": "reads", "prompt": "You read.", "model": alpha},
                "beta": {"description": "writes", "prompt": "You write.", "model": beta,
                         "tools": ["Bash"]}},
    ))
    first, second = f"{handle.id}/agent-1", f"{handle.id}/agent-2"
    # beta's Bash call waits for a person: the fleet inbox lists it, with its parent.
    found = None
    for _ in range(200):
        found = next((w for w in await agents.waiting() if w.session.id == second), None)
        if found:
            break
        await asyncio.sleep(0.1)
    assert found is not None, "the child's request never reached the inbox"
    assert found.session.parent == handle.id
    assert found.status.pending_permissions[0].tool_name == "Bash"
    status = await handle.status()
    assert status.state.kind == "waiting_for_subagent"
    assert second in status.subagents
    await agents.get(second).approve(found.status.pending_permissions[0].request_id)
    outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome.text == "Both reported."

    got = results((await handle.transcript()).messages)
    assert [(r.tool_use_id, r.content, r.is_error) for r in got] == [
        ("toolu_alpha", "alpha: 42", False), ("toolu_beta", "beta: wrote", False)]
    assert (workspace / "beta.txt").read_text() == "beta\n"
    # Usage rolls up: two calls here, two in each child.
    own = outcome.usage
    children = [await agents.get(c).result() for c in (first, second)]
    assert outcome.usage_total == own + children[0].usage + children[1].usage
    assert outcome.usage_total.output_tokens > own.output_tokens
    final = await handle.status()
    assert final.usage_total == outcome.usage_total and final.subagents == []
    # The children ran at once: both started before either finished.
    history = await handle.workflow.fetch_history()
    kinds = [e.event_type for e in history.events]
    started = [i for i, k in enumerate(kinds)
               if k == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED]
    completed = [i for i, k in enumerate(kinds)
                 if k == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED]
    assert len(started) == 2 and len(completed) == 2 and max(started) < min(completed)
    # Each child knows its parent, and says so in the web UI's search.
    for child in (first, second):
        attributes = (await agents.get(child).workflow.describe()).typed_search_attributes
        assert attributes.get(TENURE_PARENT) == handle.id
    events = await events_of(handle)
    assert [(e.session_id, e.subagent_type, e.description) for e in events
            if isinstance(e, SubagentStarted)] == [
        (first, "alpha", "find the answer"), (second, "beta", "write a file")]
    assert sorted((e.session_id, e.stop_reason) for e in events
                  if isinstance(e, SubagentEnded)) == [(first, "end_turn"), (second, "end_turn")]
    # What each child was given: the parent's workspace and rules, its definition's
    # prompt and model, and (beta) only the tools its definition names.
    configs = []
    for child in (first, second):
        started_event = (await agents.get(child).workflow.fetch_history()).events[0]
        payload = started_event.workflow_execution_started_event_attributes.input.payloads[0]
        configs.append(SessionConfig.model_validate_json(payload.data))
    assert [(c.model, c.system_prompt, c.tools, c.mode) for c in configs] == [
        (alpha, "You read.", ["Read", "Bash", "Agent"], "autonomous"),
        (beta, "You write.", ["Bash"], "autonomous")]
    assert {c.workspace for c in configs} == {str(workspace.resolve())}


async def test_a_workspace_definition_reaches_the_childs_model(
    agents: AgentClient, script: ScriptWriter, workspace: Path, fake: FakeAnthropic
) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "reviewer.md").write_text(
        "---\nname: reviewer\ndescription: Reviews code for bugs\ntools: Read, Grep, Write\n"
        "model: claude-test\n---\nYou review code. Be terse.\n")
    (folder / "broken.md").write_text("no frontmatter here\n")
    (folder / "odd.md").write_text("---\ndescription: d\nmodel: gpt\n---\nbody\n")
    fake.add(FakeAnthropic.stream(["Looks fine."]))
    parent = script([[agent("review", "Review main.py", "reviewer")], [text("Reviewed.")]])
    handle = await agents.start(SessionConfig(
        model=parent, prompt="review it", mode="autonomous", workspace=str(workspace),
        tools=["Read", "Grep", "Agent"]))
    outcome = await asyncio.wait_for(handle.result(), 60)
    assert outcome.text == "Reviewed."
    assert results((await handle.transcript()).messages)[0].content == "Looks fine."
    body = fake.requests[0].body
    assert "You review code. Be terse." in json.dumps(body["system"])
    # Write is not the parent's, so the child cannot have it.
    assert [t["name"] for t in body["tools"]] == ["Read", "Grep"]
    assert body["messages"][0]["content"][0]["text"] == "Review main.py"
    events = await events_of(handle)
    notices = [getattr(e, "message", "") for e in events]
    assert any("broken.md is not used: it does not start with YAML frontmatter" in n
               for n in notices), notices
    assert any("odd.md is not used: model: Value error, model must be" in n for n in notices)


async def test_the_agent_tool_lists_the_types_a_session_may_start(
    agents: AgentClient, workspace: Path, fake: FakeAnthropic
) -> None:
    fake.add(FakeAnthropic.stream(["No need."]))
    handle = await agents.start(SessionConfig(
        model="claude-test", prompt="hi", mode="autonomous", workspace=str(workspace),
        tools=["Read", "Task"], agents={"scout": {"description": "Looks around", "prompt": "p"}}))
    await asyncio.wait_for(handle.result(), 60)
    tools = {t["name"]: t for t in fake.requests[0].body["tools"]}
    assert list(tools) == ["Read", "Agent"]  # Task is the older name
    description = tools["Agent"]["description"]
    assert "- general-purpose: " in description and "- scout: Looks around" in description
    assert set(tools["Agent"]["input_schema"]["properties"]) == {
        "description", "prompt", "subagent_type"}
    # A session with no types of its own still lists the built-in one, and its model
    # calls carry no listing into the history.
    fake.add(FakeAnthropic.stream(["Fine."]))
    plain = await agents.start(SessionConfig(
        model="claude-test", prompt="hi", mode="autonomous", workspace=str(workspace),
        tools=["Agent"]))
    await asyncio.wait_for(plain.result(), 60)
    [agent_tool] = fake.requests[1].body["tools"]
    assert agent_tool["description"].endswith(
        f"Available agent types:\n- general-purpose: {GENERAL_PURPOSE.description}")
    inputs = [json.loads(e.activity_task_scheduled_event_attributes.input.payloads[0].data)
              for e in (await plain.workflow.fetch_history()).events
              if e.activity_task_scheduled_event_attributes.activity_type.name == "model_call"]
    assert inputs and all(not i.get("agents") for i in inputs)


async def test_interrupting_the_parent_ends_its_subagent(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    child = script([[tool_use("Bash", {"command": "sleep 60"})], [text("slept")]])
    parent = script([[agent("wait", "sleep a minute", "sleeper")], [text("Stopped early.")]])
    handle = await agents.start(SessionConfig(
        model=parent, prompt="go", workspace=str(workspace), permission_mode="bypassPermissions",
        tools=["Bash", "Agent"],
        agents={"sleeper": {"description": "sleeps", "prompt": "Sleep.", "model": child}}))
    child_handle = agents.get(f"{handle.id}/agent-1")
    await wait_for(handle, state_is("waiting_for_subagent"), 30)
    await wait_for(child_handle, state_is("executing_tool"), 30)
    await handle.interrupt()
    await wait_for(handle, state_is("idle"), 30)
    ended = await asyncio.wait_for(child_handle.result(), 30)
    assert ended.stop_reason == "ended"
    result = results((await handle.transcript()).messages)[0]
    assert result.is_error and "the subagent was stopped" in result.content
    await handle.end()


async def test_bad_subagent_calls_are_errors_the_model_sees(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    parent = script([
        [agent("one", "do it", "nobody", "toolu_unknown"),
         tool_use("Agent", {"prompt": "no description"}, "toolu_bad")],
        [text("gave up")],
    ])
    handle = await agents.start(SessionConfig(
        model=parent, prompt="go", mode="autonomous", workspace=str(workspace),
        tools=["Agent"], agents={"other": {"description": "d", "prompt": "p", "model": "haiku"}}))
    outcome = await asyncio.wait_for(handle.result(), 60)
    got = {r.tool_use_id: r for r in results((await handle.transcript()).messages)}
    assert outcome.text == "gave up"
    assert all(r.is_error for r in got.values())
    assert ("Unknown subagent_type 'nobody'; available: general-purpose, other"
            in got["toolu_unknown"].content)
    assert "Invalid input for Agent" in got["toolu_bad"].content
    assert "description" in got["toolu_bad"].content


def test_a_definition_with_a_model_that_is_none_is_refused_up_front() -> None:
    with pytest.raises(ValidationError, match="model must be"):
        SessionConfig(model="claude-test", agents={"x": {"description": "d", "prompt": "p",
                                                         "model": "gpt"}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SessionConfig(model="claude-test", agents={"x": {"description": "d", "prompt": "p",
                                                         "colour": "red"}})


async def test_the_worker_limits_how_deep_subagents_nest(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"agents-flat-{uuid.uuid4().hex[:8]}"
    parent = script([[agent("two", "do it", None, "toolu_deep")], [text("did it myself")]])
    async with build_worker(temporal_client, task_queue=queue,
                            policy=WorkerPolicy(max_agent_depth=0)):
        handle = await AgentClient(temporal_client, task_queue=queue).start(SessionConfig(
            model=parent, prompt="go", mode="autonomous", workspace=str(workspace),
            tools=["Agent"]))
        outcome = await asyncio.wait_for(handle.result(), 60)
        result = results((await handle.transcript()).messages)[0]
    assert outcome.text == "did it myself"
    assert result.is_error and "Subagents may nest at most 0 deep" in result.content


async def test_a_subagent_at_the_depth_limit_is_not_offered_the_agent_tool(
    temporal_client: Client, script: ScriptWriter, workspace: Path
) -> None:
    queue = f"agents-one-{uuid.uuid4().hex[:8]}"
    child = script([[text("child done")]])
    parent = script([[agent("one", "do it", "leaf")], [text("parent done")]])
    async with build_worker(temporal_client, task_queue=queue,
                            policy=WorkerPolicy(max_agent_depth=1)):
        agents = AgentClient(temporal_client, task_queue=queue)
        handle = await agents.start(SessionConfig(
            model=parent, prompt="go", mode="autonomous", workspace=str(workspace),
            tools=["Read", "Agent"],
            agents={"leaf": {"description": "d", "prompt": "p", "model": child}}))
        outcome = await asyncio.wait_for(handle.result(), 60)
        started = (await agents.get(f"{handle.id}/agent-1").workflow.fetch_history()).events[0]
    payload = started.workflow_execution_started_event_attributes.input.payloads[0]
    assert outcome.text == "parent done"
    assert SessionConfig.model_validate_json(payload.data).tools == ["Read"]


async def test_tenure_run_asks_for_a_subagents_request_and_starts_from_a_definition(
    dev_server: DevServer, task_queue: str, tmp_path: Path, script: ScriptWriter,
    workspace: Path, agent_client: AgentClient,
) -> None:
    env = cli_env(dev_server, task_queue, tmp_path)
    child = script([[tool_use("Bash", {"command": "echo from-child > child.txt"})],
                    [text("child wrote it")]])
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "writer.md").write_text(
        f"---\ndescription: Writes files\ntools: Bash\nmodel: {child}\n---\nYou write files.\n")
    parent = script([[agent("write", "write child.txt", "writer")], [text("parent done")]])
    result = await tenure(env, "run", "delegate", "--model", parent, "--workspace",
                          str(workspace), stdin="y\n")
    assert result.code == 0, result
    assert "↳ agent-1 · writer · write" in result.stdout
    assert "[agent-1] ? Allow Bash?" in result.stdout
    assert (workspace / "child.txt").read_text() == "from-child\n"
    assert "parent done" in result.stdout

    # The same definition as the session itself: its prompt, tools and model.
    result = await tenure(env, "run", "write it yourself", "--agent", "writer", "--workspace",
                          str(workspace), "--yes")
    assert result.code == 0, result
    assert "child wrote it" in result.stdout
    unknown = await tenure(env, "run", "x", "--agent", "nobody", "--workspace", str(workspace))
    assert unknown.code == 2 and "No agent type 'nobody'" in unknown.stderr
    assert "general-purpose, writer" in unknown.stderr


async def test_a_subagent_belongs_to_its_parents_owner(
    agents: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    child = script([[text("child done")]])
    parent = script([[agent("one", "do it", "c")], [text("parent done")]])
    handle = await agents.start(SessionConfig(
        model=parent, prompt="go", mode="autonomous", workspace=str(workspace),
        tools=["Agent"], agents={"c": {"description": "d", "prompt": "p", "model": child}}),
        owner="ada")
    await asyncio.wait_for(handle.result(), 60)
    described = await agents.get(f"{handle.id}/agent-1").workflow.describe()
    assert described.typed_search_attributes.get(TENURE_OWNER) == "ada"
    assert described.typed_search_attributes.get(TENURE_PARENT) == handle.id

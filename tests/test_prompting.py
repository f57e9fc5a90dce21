"""What a model is sent: tenure's default system prompt (or the session's own, and what
it appends), the environment as a reminder outside the cached prefix, and the project's
CLAUDE.md and AGENTS.md in the first message; the prefix stays the same bytes from call
to call."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ScriptWriter, StartSession, state_is, text, wait_for
from fake_anthropic import TITLE, FakeAnthropic

from tenure import AgentClient
from tenure.activities.titles import TITLE_PROMPT
from tenure.models.search import TENURE_TITLE

from tenure.agent_files import MAX_INSTRUCTION_BYTES
from tenure.providers.system_prompt import DEFAULT_SYSTEM_PROMPT


def texts(content: list[dict[str, object]]) -> list[str]:
    return [str(b["text"]) for b in content if b.get("type") == "text"]


async def test_the_default_prompt_the_environment_and_the_projects_instructions(
    start_session: StartSession, fake: FakeAnthropic, workspace: Path
) -> None:
    (workspace / "CLAUDE.md").write_text("Use tabs. Run `make check` before you finish.\n")
    (workspace / "AGENTS.md").write_text("Agents: never touch vendor/.\n")
    (workspace / "a.txt").write_text("a\n")
    read = {"type": "tool_use", "name": "Read", "input": {"file_path": "a.txt"}}
    fake.add(FakeAnthropic.stream([read]), FakeAnthropic.stream(["Done."]))
    handle = await start_session("claude-sonnet-4-5", prompt="tidy up", tools=["Read"])
    await wait_for(handle, state_is("idle"), 30)
    first, second = (r.body for r in fake.requests)
    assert "thinking" not in first  # the model's default unless the session asks
    assert first["system"] == [{"type": "text", "text": DEFAULT_SYSTEM_PROMPT,
                                "cache_control": {"type": "ephemeral"}}]
    opening = texts(first["messages"][0]["content"])
    claude_md, agents_md, task = opening[:3]
    assert claude_md.startswith("<system-reminder>\nThe project's instructions, from "
                                f"{workspace.resolve() / 'CLAUDE.md'}.")
    assert "Use tabs. Run `make check` before you finish." in claude_md
    assert "never touch vendor/" in agents_md and str(workspace.resolve() / "AGENTS.md") in agents_md
    assert task == "tidy up"
    # The environment comes last, after the cache breakpoint, and is not kept.
    environment = opening[-1]
    assert environment.startswith("<system-reminder>\nEnvironment: working directory "
                                  f"{workspace.resolve()}; platform ")
    assert "today is" in environment
    assert not any("Environment:" in t for m in second["messages"][:-1]
                   for t in texts(m["content"]))
    # The prefix is the same bytes at the second call: system, tools, first message.
    assert json.dumps(second["system"]) == json.dumps(first["system"])
    assert json.dumps(second["tools"]) == json.dumps(first["tools"])
    assert texts(second["messages"][0]["content"])[:3] == [claude_md, agents_md, task]
    # People see the instructions too: they are part of the conversation.
    transcript = (await handle.transcript()).messages
    assert "Use tabs." in transcript[0].text
    await handle.end()


async def test_a_sessions_own_prompt_replaces_the_default_and_appending_adds_to_either(
    start_session: StartSession, fake: FakeAnthropic, workspace: Path
) -> None:
    fake.add(FakeAnthropic.stream(["one"]), FakeAnthropic.stream(["two"]),
             FakeAnthropic.stream(["three"]))
    own = await start_session("claude-test", prompt="hi", mode="autonomous",
                              system_prompt="You are terse.")
    await own.result()
    appended = await start_session("claude-test", prompt="hi", mode="autonomous",
                                   append_system_prompt="Answer in French.")
    await appended.result()
    both = await start_session("claude-test", prompt="hi", mode="autonomous",
                               system_prompt="You are terse.", append_system_prompt="In French.")
    await both.result()
    systems = [r.body["system"][0]["text"] for r in fake.requests]
    assert systems == ["You are terse.", f"{DEFAULT_SYSTEM_PROMPT}\n\nAnswer in French.",
                       "You are terse.\n\nIn French."]
    # No instruction files: the first message is the task (and the environment).
    assert texts(fake.requests[0].body["messages"][0]["content"])[0] == "hi"


async def test_a_huge_instruction_file_is_cut_with_a_note(
    start_session: StartSession, fake: FakeAnthropic, workspace: Path
) -> None:
    (workspace / "CLAUDE.md").write_text("x" * (MAX_INSTRUCTION_BYTES * 2))
    fake.add(FakeAnthropic.stream(["ok"]))
    handle = await start_session("claude-test", prompt="hi", mode="autonomous")
    await handle.result()
    instructions = texts(fake.requests[0].body["messages"][0]["content"])[0]
    assert f"[cut at {MAX_INSTRUCTION_BYTES // 1024} KB: Read " in instructions
    assert len(instructions) < MAX_INSTRUCTION_BYTES + 1000


async def test_thinking_is_asked_for_and_its_blocks_go_back_with_their_signatures(
    start_session: StartSession, fake: FakeAnthropic, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("a\n")
    thought = {"type": "thinking", "thinking": "Read the file first.", "signature": "sig-1"}
    read = {"type": "tool_use", "name": "Read", "input": {"file_path": "a.txt"}}
    fake.add(FakeAnthropic.stream([thought, read]), FakeAnthropic.stream(["It says a."]))
    handle = await start_session(
        "claude-sonnet-4-5", prompt="what is in a.txt?", mode="autonomous", tools=["Read"],
        thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=4096)
    assert (await handle.result()).text == "It says a."
    first, second = (r.body for r in fake.requests)
    assert first["thinking"] == second["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assistant = second["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {"type": "thinking", "thinking": "Read the file first.",
                                       "signature": "sig-1"}
    adaptive = await start_session("claude-sonnet-4-5", prompt="hi", mode="autonomous",
                                   thinking={"type": "adaptive"})
    fake.add(FakeAnthropic.stream(["hello"]))
    await adaptive.result()
    assert fake.requests[-1].body["thinking"] == {"type": "adaptive"}


def test_a_thinking_budget_must_fit_in_max_tokens() -> None:
    import pytest
    from pydantic import ValidationError

    from tenure import SessionConfig

    with pytest.raises(ValidationError, match="must be below max_tokens"):
        SessionConfig(model="claude-test", thinking={"type": "enabled", "budget_tokens": 9000})
    with pytest.raises(ValidationError, match="budget_tokens goes with type `enabled`"):
        SessionConfig(model="claude-test", thinking={"type": "enabled"})
    with pytest.raises(ValidationError, match="budget_tokens goes with type `enabled`"):
        SessionConfig(model="claude-test", thinking={"type": "adaptive", "budget_tokens": 2048})
    with pytest.raises(ValidationError):
        SessionConfig(model="claude-test", thinking={"type": "sometimes"})


async def test_a_session_without_a_title_gets_one_from_its_first_turn(
    start_session: StartSession, fake: FakeAnthropic, agent_client: AgentClient,
    script: ScriptWriter,
) -> None:
    fake.add(FakeAnthropic.stream(["Sure, I will look into the flaky test."]))
    handle = await start_session("claude-sonnet-4-5",
                                 prompt="please find out why test_login fails on CI")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.title == TITLE, 30)
    [asked] = fake.title_requests
    assert asked.body["model"] == "claude-haiku-4-5"
    assert TITLE_PROMPT in asked.body["system"][0]["text"]
    sent = asked.body["messages"][0]["content"][0]["text"]
    assert "why test_login fails on CI" in sent and "flaky test" in sent
    described = await handle.workflow.describe()
    assert described.typed_search_attributes.get(TENURE_TITLE) == TITLE
    status = await handle.status()
    assert status.usage.input_tokens == 10  # the session's own call; not the title's
    await handle.end()
    # A session given a title keeps it; the scripted provider names one after its task.
    given = await start_session(script([[text("ok")]]), prompt="x", title="Mine", mode="autonomous")
    await given.result()
    scripted = await start_session(script([[text("ok")]]), prompt="Tidy the docs folder, please.",
                                   mode="autonomous")
    await scripted.result()
    assert (await given.status()).title == "Mine"
    assert (await scripted.status()).title == "Tidy the docs folder, please"
    assert len(fake.title_requests) == 1

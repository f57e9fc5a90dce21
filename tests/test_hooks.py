"""Hooks on the worker: every event, every decision, how they combine, command hooks."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import ScriptWriter, state_is, text, tool_use, wait_for
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tenure import AgentClient, SessionConfig, SessionHandle
from tenure.hooks import HOOK_OUTPUT_BYTES, Hook, command_hooks
from tenure.models import HookInput, HookResult
from tenure.workers import build_worker

Recorded = list[tuple[str, str | None]]


async def bash_guard(event: HookInput) -> HookResult | None:
    command = (event.tool_input or {}).get("command", "")
    if "rm -rf" in command or "CONFLICT" in command:
        return HookResult(decision="deny", reason="rm -rf is not allowed here")
    if "ASK" in command:
        return HookResult(decision="ask", reason="the hook wants a human")
    if "REWRITE" in command:
        return HookResult(updated_input={"command": "echo rewritten"})
    if "ALLOW" in command:
        return HookResult(decision="allow", additional_context=["pre-context"])
    return None


async def lenient(event: HookInput) -> HookResult:
    return HookResult(decision="allow")


async def post_read(event: HookInput) -> HookResult | None:
    if "SHOUT" in (event.tool_input or {}).get("file_path", ""):
        return HookResult(updated_output=(event.tool_output or "").upper(),
                          additional_context=["post-context"])
    return None


async def prompt_filter(event: HookInput) -> HookResult | None:
    prompt = event.prompt or ""
    if "secret" in prompt:
        return HookResult(decision="deny", reason="no secrets in prompts")
    if prompt.startswith("rewrite:"):
        return HookResult(updated_prompt=prompt.removeprefix("rewrite:").strip(),
                          additional_context=["prompt-context"])
    return None


async def start_context(event: HookInput) -> HookResult:
    return HookResult(additional_context=["start-context"])


@pytest.fixture
async def hooked(temporal_client: Client) -> AsyncIterator[tuple[AgentClient, Recorded]]:
    recorded: Recorded = []

    async def record(event: HookInput) -> None:
        recorded.append((event.event, event.tool_name))

    hooks = [Hook("PreToolUse", bash_guard, matcher="Bash"),
             Hook("PreToolUse", lenient, matcher="^Bash$"),
             Hook("PostToolUse", post_read, matcher="Read|Write"),
             Hook("UserPromptSubmit", prompt_filter),
             Hook("SessionStart", start_context)]
    hooks += [Hook(e, record) for e in ("PreToolUse", "PostToolUse", "PostToolUseFailure",  # type: ignore[arg-type]
                                        "UserPromptSubmit", "PostAssistantResponse",
                                        "TurnComplete", "SessionStart", "SessionEnd")]
    queue = f"hooks-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, task_queue=queue, hooks=hooks):
        yield AgentClient(temporal_client, task_queue=queue), recorded


def start(agents: AgentClient, model: str, workspace: Path, **fields: object):  # type: ignore[no-untyped-def]
    return agents.start(SessionConfig(model=model, workspace=str(workspace), **fields))  # type: ignore[arg-type]


async def results(handle: SessionHandle, index: int = 2) -> list[tuple[str, bool]]:
    message = (await handle.transcript()).messages[index]
    return [(b.content, b.is_error) for b in message.content if b.type == "tool_result"]


async def test_pre_tool_use_decisions(
    hooked: tuple[AgentClient, Recorded], script: ScriptWriter, workspace: Path
) -> None:
    agents, _ = hooked
    (workspace / "data").mkdir()
    model = script([
        [tool_use("Bash", {"command": "rm -rf data"}),
         tool_use("Bash", {"command": "echo CONFLICT"}),
         tool_use("Bash", {"command": "echo ALLOW"}),
         tool_use("Bash", {"command": "echo REWRITE"})],
        [text("done")],
    ])
    handle = await start(agents, model, workspace, prompt="go", mode="autonomous")
    await handle.result()
    rm, conflict, allowed, rewritten = await results(handle)
    assert rm == ("Blocked by a hook: rm -rf is not allowed here", True)
    assert conflict[1] and "rm -rf is not allowed" in conflict[0]  # deny beats another's allow
    assert not allowed[1] and "ALLOW" in allowed[0] and "pre-context" in allowed[0]
    assert not rewritten[1] and "rewritten" in rewritten[0] and "REWRITE" not in rewritten[0]
    assert (workspace / "data").is_dir()


async def test_hook_allow_does_not_override_a_deny_rule_and_ask_beats_bypass(
    hooked: tuple[AgentClient, Recorded], script: ScriptWriter, workspace: Path
) -> None:
    agents, _ = hooked
    model = script([
        [tool_use("Bash", {"command": "echo ALLOW"}), tool_use("Bash", {"command": "echo ASK"})],
        [text("done")],
    ])
    handle = await start(agents, model, workspace, prompt="go", mode="autonomous",
                         permission_mode="bypassPermissions",
                         permissions={"deny": ["Bash(echo ALLOW)"]})
    status = await wait_for(handle, state_is("waiting_for_permission"))
    [pending] = status.pending_permissions
    assert pending.input["command"] == "echo ASK" and pending.reason == "the hook wants a human"
    await handle.approve(pending.request_id)
    await handle.result()
    denied, asked = await results(handle)
    assert denied[1] and "Bash(echo ALLOW)" in denied[0]
    assert not asked[1] and "ASK" in asked[0]


async def test_post_tool_use_rewrites_output_and_failure_event_fires(
    hooked: tuple[AgentClient, Recorded], script: ScriptWriter, workspace: Path
) -> None:
    agents, recorded = hooked
    (workspace / "SHOUT.txt").write_text("quiet words")
    model = script([
        [tool_use("Read", {"file_path": "SHOUT.txt"}), tool_use("Read", {"file_path": "nope.txt"})],
        [text("done")],
    ])
    handle = await start(agents, model, workspace, prompt="go", mode="autonomous")
    await handle.result()
    shouted, missing = await results(handle)
    assert "QUIET WORDS" in shouted[0] and shouted[0].endswith("post-context")
    assert missing[1]
    assert ("PostToolUse", "Read") in recorded and ("PostToolUseFailure", "Read") in recorded


async def test_prompt_hooks_and_session_events(
    hooked: tuple[AgentClient, Recorded], script: ScriptWriter, workspace: Path
) -> None:
    agents, recorded = hooked
    handle = await start(agents, script([[text("one")], [text("two")]]), workspace,
                         prompt="rewrite: hello")
    await wait_for(handle, lambda s: s.state.kind == "idle" and s.turn == 1)
    await handle.send("my secret is 42")
    status = await wait_for(handle, lambda s: s.error is not None)
    assert status.error == "A hook blocked the message: no secrets in prompts"
    assert status.turn == 1
    await handle.end()
    await handle.result()
    [first, _] = (await handle.transcript()).messages
    assert [b.text for b in first.content if b.type == "text"] == ["start-context", "hello", "prompt-context"]
    events = [e for e, _ in recorded]
    for event in ("SessionStart", "UserPromptSubmit", "PostAssistantResponse", "TurnComplete", "SessionEnd"):
        assert event in events
    assert events.index("SessionStart") < events.index("PostAssistantResponse") < events.index("SessionEnd")
    assert "secret" not in (await handle.transcript()).model_dump_json()


async def test_no_hook_no_round_trip(
    agent_client: AgentClient, script: ScriptWriter, workspace: Path
) -> None:
    """The shared test worker has no hooks: its sessions never schedule run_hooks."""
    handle = await start(agent_client, script([[tool_use("Glob", {"pattern": "*"})], [text("x")]]),
                         workspace, prompt="go", mode="autonomous")
    await handle.result()
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name
                 async for e in handle.workflow.fetch_history_events()
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert scheduled == ["prepare_session", "model_call", "tool_call", "model_call", "close_session"]


async def test_command_hooks_in_claude_code_settings_format(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    guard = tmp_path / "guard.sh"
    guard.write_text(
        "#!/bin/sh\n"
        "input=$(cat)\n"
        "echo \"$input\" >> \"$HOOK_LOG\"\n"
        "case \"$input\" in\n"
        "  *'rm -rf'*) echo 'rm -rf blocked by guard.sh' >&2; exit 2;;\n"
        "  *DENYJSON*) echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\","
        " \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"json says no\"}}';;\n"
        "  *FIXME*) echo '{\"hookSpecificOutput\": {\"updatedInput\": {\"command\": \"echo fixed\"}}}';;\n"
        "esac\n"
    )
    guard.chmod(0o755)
    log = tmp_path / "hook.log"
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": f"HOOK_LOG={log} {guard}"}]}],
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo 'Today is a holiday.'"}]}],
    }}))
    queue = f"cmdhooks-{uuid.uuid4().hex[:8]}"
    model = script([
        [tool_use("Bash", {"command": "rm -rf /tmp/x"}), tool_use("Bash", {"command": "echo DENYJSON"}),
         tool_use("Bash", {"command": "echo FIXME"})],
        [text("done")],
    ])
    async with build_worker(temporal_client, task_queue=queue, hooks=command_hooks(settings)):
        agents = AgentClient(temporal_client, task_queue=queue)
        handle = await start(agents, model, workspace, prompt="go", mode="autonomous",
                             permission_mode="bypassPermissions")
        await handle.result()
        blocked, json_denied, fixed = await results(handle)
        first = (await handle.transcript()).messages[0]
    assert blocked == ("Blocked by a hook: rm -rf blocked by guard.sh", True)
    assert json_denied == ("Blocked by a hook: json says no", True)
    assert not fixed[1] and "fixed" in fixed[0] and "FIXME" not in fixed[0]
    assert [b.text for b in first.content if b.type == "text"] == ["go", "Today is a holiday."]
    payload = json.loads(log.read_text().splitlines()[0])
    assert payload["hook_event_name"] == "PreToolUse" and payload["tool_name"] == "Bash"
    assert payload["tool_input"] == {"command": "rm -rf /tmp/x"} and payload["cwd"] == str(workspace)


def test_bad_hook_registrations_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown hook event"):
        Hook("BeforeLunch", lenient)  # type: ignore[arg-type]
    with pytest.raises(Exception):
        Hook("PreToolUse", lenient, matcher="(")


async def test_run_hooks_combines_decisions_and_chains_rewrites() -> None:
    from tenure.hooks import run_hooks

    async def allow(event: HookInput) -> HookResult:
        return HookResult(decision="allow", reason="fine", additional_context=["a"])

    async def ask(event: HookInput) -> HookResult:
        return HookResult(decision="ask", reason="check", additional_context=["b"])

    async def double(event: HookInput) -> HookResult:
        command = (event.tool_input or {})["command"]
        return HookResult(updated_input={"command": command + command})

    event = HookInput(event="PreToolUse", session_id="s", workspace="/", tool_name="Bash",
                      tool_input={"command": "x"})
    combined = await run_hooks([Hook("PreToolUse", allow), Hook("PreToolUse", ask),
                                Hook("PreToolUse", allow)], event)
    assert (combined.decision, combined.reason, combined.additional_context) == ("ask", "check", ["a", "b", "a"])
    chained = await run_hooks([Hook("PreToolUse", double), Hook("PreToolUse", double)], event)
    assert chained.updated_input == {"command": "xxxx"}
    skipped = await run_hooks([Hook("PreToolUse", ask, matcher="^mcp__"),
                               Hook("PostToolUse", ask)], event)
    assert skipped == HookResult()


async def test_command_hook_output_is_capped_and_its_input_need_not_be_read(
    tmp_path: Path,
) -> None:
    settings = {"hooks": {
        "UserPromptSubmit": [{"hooks": [
            {"type": "command", "command": "head -c 5000000 /dev/zero | tr '\\0' x"}]}],
        "PostToolUse": [{"hooks": [
            {"type": "command",
             "command": "echo '{\"hookSpecificOutput\": {\"additionalContext\": \"seen\"}}'"}]}],
    }}
    flood, quick = command_hooks(settings)
    prompt = HookInput(event="UserPromptSubmit", session_id="s", workspace=str(tmp_path),
                       prompt="hi")
    result = await asyncio.wait_for(flood.callback(prompt), 30)
    assert result is not None
    [context] = result.additional_context
    assert context == "x" * HOOK_OUTPUT_BYTES + "\n[the hook printed more; its output was cut]"
    # A hook that never reads its input (here 1 MB of tool output) is heard all the same.
    output = HookInput(event="PostToolUse", session_id="s", workspace=str(tmp_path),
                       tool_name="Bash", tool_input={}, tool_output="y" * 1_000_000)
    result = await asyncio.wait_for(quick.callback(output), 30)
    assert result is not None and result.additional_context == ["seen"]


CLAUDE_CODE_GUARD = '''#!/usr/bin/env python3
"""A PreToolUse hook as people write them for Claude Code: block rm, log the input."""
import json, os, sys

data = json.load(sys.stdin)
with open(os.environ["HOOK_LOG"], "a") as log:
    log.write(json.dumps({**data, "project_dir": os.environ.get("CLAUDE_PROJECT_DIR")}) + "\\n")
command = data.get("tool_input", {}).get("command", "")
if data["hook_event_name"] == "PreToolUse" and command.startswith("rm "):
    print("Do not delete files; move them to trash/ instead.", file=sys.stderr)
    sys.exit(2)
if data["hook_event_name"] == "PermissionRequest" and command.startswith("echo "):
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PermissionRequest",
                                             "permissionDecision": "allow"}}))
'''


async def test_a_claude_code_hook_script_works_unchanged(
    temporal_client: Client, script: ScriptWriter, workspace: Path, tmp_path: Path
) -> None:
    """Claude Code's stdin fields and environment, its event names (Stop for the end of a
    turn, PermissionRequest, Notification, PostToolBatch), and its exit code 2."""
    guard = tmp_path / "guard.py"
    guard.write_text(CLAUDE_CODE_GUARD)
    guard.chmod(0o755)
    log = tmp_path / "hook.log"
    hook = {"type": "command", "command": f"HOOK_LOG={log} {guard}"}
    settings = {"hooks": {event: [{"hooks": [hook]}] for event in (
        "PreToolUse", "PermissionRequest", "Notification", "PostToolBatch", "Stop")}}
    (workspace / "old.txt").write_text("old\n")
    model = script([
        [tool_use("Bash", {"command": "rm old.txt"}, "toolu_rm"),
         tool_use("Bash", {"command": "echo allowed-by-hook"}, "toolu_echo"),
         tool_use("Bash", {"command": "touch asked.txt"}, "toolu_touch")],
        [text("done")],
    ])
    queue = f"cchooks-{uuid.uuid4().hex[:8]}"
    async with build_worker(temporal_client, task_queue=queue, hooks=command_hooks(settings)):
        agents = AgentClient(temporal_client, task_queue=queue)
        handle = await start(agents, model, workspace, prompt="go", mode="autonomous")
        status = await wait_for(handle, lambda s: bool(s.pending_permissions), 30)
        assert [p.tool_use_id for p in status.pending_permissions] == ["toolu_touch"]
        await handle.approve(status.pending_permissions[0].request_id)
        await handle.result()
        got = await results(handle)
    assert got[0] == ("Blocked by a hook: Do not delete files; move them to trash/ instead.", True)
    assert "allowed-by-hook" in got[1][0] and not got[1][1]
    assert not got[2][1] and (workspace / "asked.txt").exists()
    assert (workspace / "old.txt").exists()
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    events = [s["hook_event_name"] for s in seen]
    assert events == ["PreToolUse", "PreToolUse", "PermissionRequest", "PreToolUse",
                      "PermissionRequest", "Notification", "PostToolBatch", "Stop"]
    first = seen[0]
    assert first["session_id"] == handle.id and first["cwd"] == str(workspace.resolve())
    assert first["permission_mode"] == "default" and first["tool_name"] == "Bash"
    assert first["tool_input"] == {"command": "rm old.txt"} and first["tool_use_id"] == "toolu_rm"
    assert first["project_dir"] == str(workspace.resolve())
    assert "Bash needs your permission" in seen[5]["message"]

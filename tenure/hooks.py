"""Hooks: worker-side callables that see and steer a session at fixed events.

    async def no_rm_rf(event: HookInput) -> HookResult | None:
        if "rm -rf" in (event.tool_input or {}).get("command", ""):
            return HookResult(decision="deny", reason="rm -rf is not allowed here")
        return None

    AgentPlugin(hooks=[Hook("PreToolUse", no_rm_rf, matcher="Bash")])

Hooks run on the worker inside the `run_hooks` activity, never in workflow code; the
workflow calls that activity only when a hook is registered for the event (and its
matcher fits the tool), so events without hooks cost nothing. Command hooks in the
`hooks` section format of Claude Code's settings.json are accepted too
(`command_hooks(settings)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args

from tenure.models import HookEvent, HookInput, HookResult, HookSpec
from tenure.models.hooks import CLAUDE_CODE_NAMES
from tenure.tools.environment import agent_environment
from tenure.tools.limits import MAX_RESULT_BYTES, stream_head, utf8_prefix

logger = logging.getLogger(__name__)

HookCallback = Callable[[HookInput], Awaitable[HookResult | None]]
DECISION_RANK = {None: 0, "allow": 1, "ask": 2, "deny": 3}
HOOK_OUTPUT_BYTES = MAX_RESULT_BYTES
"""How much of a command hook's stdout (and stderr) is taken: what it says reaches the
session in an activity result, so it stays far below Temporal's payload limits."""


@dataclass(frozen=True)
class Hook:
    event: HookEvent
    callback: HookCallback
    matcher: str | None = None
    """A regex searched in the tool name; None (or `*`) matches every tool."""

    def __post_init__(self) -> None:
        if self.event not in get_args(HookEvent):
            raise ValueError(f"Unknown hook event {self.event!r}; one of {get_args(HookEvent)}")
        if self.matcher not in (None, "", "*"):
            re.compile(self.matcher)

    @property
    def spec(self) -> HookSpec:
        matcher = self.matcher if self.matcher not in ("", "*") else None
        return HookSpec(event=self.event, matcher=matcher)


async def run_hooks(hooks: Iterable[Hook], event: HookInput) -> HookResult:
    """Run the event's matching hooks in order and combine what they say.

    Rewrites chain: each hook sees the input, output or prompt as the previous one left it.
    The strongest decision wins (deny > ask > allow), with its reason.
    """
    combined = HookResult()
    current = event
    for hook in hooks:
        if not hook.spec.applies(event.event, event.tool_name):
            continue
        result = await hook.callback(current)
        if result is None:
            continue
        if DECISION_RANK[result.decision] > DECISION_RANK[combined.decision]:
            combined.decision, combined.reason = result.decision, result.reason
        combined.additional_context += result.additional_context
        if result.updated_input is not None:
            combined.updated_input = result.updated_input
            current = current.model_copy(update={"tool_input": result.updated_input})
        if result.updated_output is not None:
            combined.updated_output = result.updated_output
            current = current.model_copy(update={"tool_output": result.updated_output})
        if result.updated_prompt is not None:
            combined.updated_prompt = result.updated_prompt
            current = current.model_copy(update={"prompt": result.updated_prompt})
    return combined


# ---- command hooks (Claude Code's settings.json format) --------------------------------


def command_hooks(
    settings: dict[str, Any] | str | Path, env_passthrough: Iterable[str] = ()
) -> list[Hook]:
    """Hooks from Claude Code's settings format: a dict, or the path of a settings.json:

        {"hooks": {"PreToolUse": [{"matcher": "Bash",
                                   "hooks": [{"type": "command", "command": "./check.sh"}]}]}}

    The command gets the event as JSON on stdin. Exit 0 with JSON on stdout may decide
    (`hookSpecificOutput.permissionDecision`, `decision: "block"`), rewrite
    (`hookSpecificOutput.updatedInput`) or add context (`additionalContext`, or plain
    stdout for UserPromptSubmit and SessionStart); exit 2 blocks with stderr as the
    reason; any other exit code is logged and changes nothing. The command runs without
    the worker's secret environment variables, but for those in `env_passthrough`.
    """
    data: dict[str, Any] = (
        settings if isinstance(settings, dict) else json.loads(Path(settings).read_text())
    )
    hooks = []
    for event, groups in data.get("hooks", {}).items():
        for group in groups:
            for entry in group.get("hooks", []):
                if entry.get("type", "command") != "command":
                    raise ValueError(f"Unsupported hook type {entry.get('type')!r} in {event}")
                hooks.append(
                    Hook(
                        event=event,
                        callback=_CommandHook(
                            entry["command"],
                            float(entry.get("timeout", 60)),
                            tuple(env_passthrough),
                        ),
                        matcher=group.get("matcher"),
                    )
                )
    return hooks


def passing_through(hooks: Iterable[Hook], names: Iterable[str]) -> list[Hook]:
    """The hooks, with command hooks letting the secret environment variables `names`
    through as well (the worker policy's `env_passthrough`)."""
    extra = tuple(names)
    if not extra:
        return list(hooks)
    return [
        replace(h, callback=replace(h.callback, env_passthrough=(
            *h.callback.env_passthrough, *extra)))
        if isinstance(h.callback, _CommandHook) else h
        for h in hooks
    ]


@dataclass(frozen=True)
class _CommandHook:
    command: str
    timeout: float
    env_passthrough: tuple[str, ...] = ()
    """Secret environment variables the command may see (the worker's are withheld)."""

    async def __call__(self, event: HookInput) -> HookResult | None:
        payload = {  # Claude Code's fields, so its hook scripts work unchanged
            "session_id": event.session_id,
            "hook_event_name": CLAUDE_CODE_NAMES.get(event.event, event.event),
            "cwd": event.workspace,
            "permission_mode": event.permission_mode,
            "tool_name": event.tool_name,
            "tool_input": event.tool_input,
            "tool_use_id": event.tool_use_id,
            "tool_response": event.tool_output,
            "prompt": event.prompt,
            "message": event.message,
            "agent_id": event.agent_id,
            "agent_type": event.agent_type,
        }
        process = await asyncio.create_subprocess_shell(
            self.command,
            cwd=event.workspace,
            env={**agent_environment(self.env_passthrough), "CLAUDE_PROJECT_DIR": event.workspace},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(
                _exchange(process, json.dumps(payload).encode()), self.timeout
            )
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            logger.warning("Hook command timed out after %ss: %s", self.timeout, self.command)
            return None
        stdout = _text(out, "the hook printed more; its output was cut")
        stderr = _text(err, "the hook printed more")
        if process.returncode == 2:
            return HookResult(decision="deny", reason=stderr or f"Blocked by hook {self.command}")
        if process.returncode != 0:
            logger.warning("Hook %s exited %s: %s", self.command, process.returncode, stderr)
            return None
        return _parse_output(event, stdout)


async def _exchange(process: asyncio.subprocess.Process, payload: bytes) -> tuple[bytes, bytes]:
    """Give the command its input and take the first HOOK_OUTPUT_BYTES (+1, to see that
    there was more) of its stdout and stderr, reading both to the end so it never blocks."""
    assert process.stdin and process.stdout and process.stderr

    async def give(stdin: asyncio.StreamWriter) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it did not read
            stdin.write(payload)
            await stdin.drain()
        stdin.close()

    _, out, err, _ = await asyncio.gather(
        give(process.stdin),
        stream_head(process.stdout, HOOK_OUTPUT_BYTES + 1),
        stream_head(process.stderr, HOOK_OUTPUT_BYTES + 1),
        process.wait(),
    )
    return out, err


def _text(output: bytes, note: str) -> str:
    """A command's output as text: at most HOOK_OUTPUT_BYTES, with `note` when it had more."""
    text = utf8_prefix(output.decode(errors="replace"), HOOK_OUTPUT_BYTES).strip()
    return f"{text}\n[{note}]" if len(output) > HOOK_OUTPUT_BYTES else text


def _parse_output(event: HookInput, stdout: str) -> HookResult | None:
    if not stdout:
        return None
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        if event.event in ("UserPromptSubmit", "SessionStart"):
            return HookResult(additional_context=[stdout])
        return None
    specific = data.get("hookSpecificOutput") or {}
    result = HookResult()
    if data.get("decision") == "block":
        result.decision, result.reason = "deny", data.get("reason")
    if decision := specific.get("permissionDecision"):
        result.decision = decision
        result.reason = specific.get("permissionDecisionReason") or data.get("reason")
    if isinstance(specific.get("updatedInput"), dict):
        result.updated_input = specific["updatedInput"]
    if isinstance(specific.get("updatedOutput"), str):
        result.updated_output = specific["updatedOutput"]
    if isinstance(specific.get("updatedPrompt"), str):
        result.updated_prompt = specific["updatedPrompt"]
    if context := specific.get("additionalContext"):
        result.additional_context = [str(context)]
    return result

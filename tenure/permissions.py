"""Permission rules in Claude Code's syntax, and the decision order. Pure: no I/O.

Used by the workflow to decide whether a tool call needs a person, and again by the
worker inside `tool_call` so that its own deny rules hold whatever a session says.

Rule syntax:
- `Bash` (any call of the tool), `Bash(git status)` (exact command), `Bash(npm run test:*)`
  (command prefix), `Bash(git * main)` (`*` matches anything);
- `Read(./src/**)`, `Edit(/abs/**)`, `Read(~/notes/*.md)`: gitignore-style path patterns;
  relative ones are taken from the workspace. Read rules also cover Glob and Grep, Edit
  rules cover Write;
- `mcp__server__tool`, `mcp__server` or `mcp__server__*` for MCP tools.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Literal

from tenure.models import PermissionMode, PermissionRules, ToolKind

Verdict = Literal["allow", "deny", "ask"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class Rule:
    tool: str
    specifier: str | None

    @classmethod
    def parse(cls, text: str) -> Rule:
        m = re.fullmatch(r"\s*([\w.*-]+)\s*(?:\((.*)\))?\s*", text, re.DOTALL)
        if not m:
            raise ValueError(f"Not a permission rule: {text!r} (expected Tool or Tool(specifier))")
        spec = m.group(2)
        return cls(m.group(1), spec.strip() if spec is not None and spec.strip() else None)


READ_FAMILY = {"Read", "Glob", "Grep"}
EDIT_FAMILY = {"Edit", "Write"}
PATH_KEYS = ("file_path", "path", "notebook_path")


def validate_rules(rules: PermissionRules) -> None:
    """Raise ValueError naming the first malformed rule."""
    for text in [*rules.allow, *rules.ask, *rules.deny]:
        Rule.parse(text)


def _glob_to_regex(pattern: str) -> str:
    """Translate a gitignore-style glob (`**`, `*`, `?`) into a regex over whole paths."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _path_matches(pattern: str, path: str, workspace: str) -> bool:
    if pattern.startswith("//"):
        pattern = pattern[1:]
    elif pattern.startswith("~"):
        pattern = os.path.expanduser(pattern)
    elif not pattern.startswith("/"):
        pattern = posixpath.join(workspace, pattern)
    pattern = posixpath.normpath(pattern) + ("/" if pattern.endswith("/") else "")
    if pattern.endswith("/"):
        pattern += "**"
    if not posixpath.isabs(path):
        path = posixpath.join(workspace, path)
    path = posixpath.normpath(path)
    regex = _glob_to_regex(pattern)
    # A pattern naming a directory also covers what is inside it.
    return re.fullmatch(regex, path) is not None or re.fullmatch(regex + "/.*", path) is not None


_OPERATORS = re.compile(r"\s*(?:&&|\|\||;|\||\n|&)\s*")


def _command_matches(specifier: str, command: str) -> bool:
    command = command.strip()
    if specifier.endswith(":*"):
        return command.startswith(specifier[:-2])
    if "*" in specifier:
        regex = ".*".join(re.escape(part) for part in specifier.split("*"))
        return re.fullmatch(regex, command, re.DOTALL) is not None
    return command == specifier


def _bash_matches(specifier: str, command: str, *, granting: bool) -> bool:
    """Match a Bash rule against a command that may chain several (`a && b; c | d`).

    A granting (allow) rule must cover every part and no command substitution may hide
    another command; a restricting (deny/ask) rule matches when it covers any part.
    """
    parts = [p for p in _OPERATORS.split(command.strip()) if p]
    if granting:
        if "$(" in command or "`" in command:
            return False
        return bool(parts) and all(_command_matches(specifier, p) for p in parts)
    return _command_matches(specifier, command) or any(
        _command_matches(specifier, p) for p in parts
    )


def rule_matches(
    rule: Rule, tool_name: str, tool_input: dict[str, Any], workspace: str, *, granting: bool
) -> bool:
    """Whether one rule covers this tool call (`granting` for allow rules, see _bash_matches)."""
    if rule.tool.startswith("mcp__"):
        if rule.tool.endswith("__*"):
            return tool_name.startswith(rule.tool[:-1])
        return tool_name == rule.tool or tool_name.startswith(rule.tool + "__")
    family = {rule.tool}
    if rule.tool == "Read":
        family = READ_FAMILY
    elif rule.tool == "Edit":
        family = EDIT_FAMILY
    if tool_name not in family:
        return False
    if rule.specifier is None or rule.specifier == "*":
        return True
    if tool_name == "Bash":
        command = str(tool_input.get("command", ""))
        return _bash_matches(rule.specifier, command, granting=granting)
    for key in PATH_KEYS:
        if isinstance(tool_input.get(key), str):
            path = tool_input[key]
            break
    else:
        if tool_name not in READ_FAMILY:
            return False
        path = workspace  # Glob/Grep without a path search the workspace
    if tool_name in ("Glob", "Grep"):
        # A search of a directory is covered by a rule for what is inside it.
        return _path_matches(rule.specifier, path, workspace) or _path_matches(
            rule.specifier, posixpath.join(path, "_"), workspace
        )
    return _path_matches(rule.specifier, path, workspace)


def first_match(
    rules: list[str],
    tool_name: str,
    tool_input: dict[str, Any],
    workspace: str,
    *,
    granting: bool = False,
) -> str | None:
    for text in rules:
        if rule_matches(Rule.parse(text), tool_name, tool_input, workspace, granting=granting):
            return text
    return None


def session_rule(tool_name: str, tool_input: dict[str, Any]) -> str:
    """The allow rule that a `scope: session` approval adds: the exact command for Bash,
    the whole tool otherwise."""
    if tool_name == "Bash" and isinstance(tool_input.get("command"), str):
        return f"Bash({tool_input['command']})"
    return tool_name


def decide(
    *,
    tool_name: str,
    tool_input: dict[str, Any],
    kind: ToolKind,
    mode: PermissionMode,
    rules: PermissionRules,
    workspace: str,
) -> Decision:
    """Claude Code's order: deny rules → ask rules → mode → allow rules → ask the human.

    Hooks come before all of this; they run on the worker.
    """
    if rule := first_match(rules.deny, tool_name, tool_input, workspace):
        return Decision("deny", f"Denied by rule {rule}")
    if rule := first_match(rules.ask, tool_name, tool_input, workspace):
        return Decision("ask", f"Rule {rule} asks for approval")
    if mode == "bypassPermissions":
        return Decision("allow", "bypassPermissions mode")
    if mode == "plan" and kind != "read":
        return Decision("deny", f"Plan mode is read-only: {tool_name} is not allowed while planning")
    if kind == "read":
        return Decision("allow", "read-only tool")
    if mode == "acceptEdits" and kind == "edit":
        return Decision("allow", "acceptEdits mode")
    if rule := first_match(rules.allow, tool_name, tool_input, workspace, granting=True):
        return Decision("allow", f"Allowed by rule {rule}")
    return Decision("ask", f"{tool_name} needs approval in {mode} mode")

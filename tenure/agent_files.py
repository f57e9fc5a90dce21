"""What a workspace tells its agents, in the files Claude Code and others read: the
project's instructions (`CLAUDE.md`, `AGENTS.md` at the root) and subagent types (each
`.claude/agents/NAME.md` is YAML frontmatter, `name`, `description`, `tools`, `model`, and
a body, the subagent's system prompt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tenure.models.agents import AgentDefinition
from tenure.models.io import ProjectInstructions
from tenure.models.validation import validation_problems

AGENTS_FOLDER = Path(".claude") / "agents"
MAX_FILE_BYTES = 256 * 1024
INSTRUCTION_FILES = ("CLAUDE.md", "AGENTS.md")
MAX_INSTRUCTION_BYTES = 64 * 1024
"""Of each instruction file, the model sees at most this much (the rest is cut, with a
note): the session's first message carries it."""


def project_instructions(workspace: Path) -> list[ProjectInstructions]:
    """CLAUDE.md and AGENTS.md at the workspace's root, those that exist, in that order."""
    found = []
    for name in INSTRUCTION_FILES:
        path = workspace / name
        try:
            with path.open("rb") as file:
                data = file.read(MAX_INSTRUCTION_BYTES + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as e:
            found.append(ProjectInstructions(path=str(path), text=f"(cannot be read: {e})"))
            continue
        text = data[:MAX_INSTRUCTION_BYTES].decode("utf-8", errors="replace")
        if len(data) > MAX_INSTRUCTION_BYTES:
            text += f"\n[cut at {MAX_INSTRUCTION_BYTES // 1024} KB: Read {path} for the rest]"
        if text.strip():
            found.append(ProjectInstructions(path=str(path), text=text))
    return found


def read_agent_files(workspace: Path) -> tuple[dict[str, AgentDefinition], list[str]]:
    """The workspace's subagent types by name, and a sentence for each file that does
    not define one (the session goes on without it)."""
    folder = workspace / AGENTS_FOLDER
    agents: dict[str, AgentDefinition] = {}
    problems: list[str] = []
    if not folder.is_dir():
        return agents, problems
    for path in sorted(folder.glob("*.md")):
        try:
            name, definition = _parse(path)
        except (OSError, ValueError) as e:
            problems.append(f"Subagent file {path} is not used: {e}")
            continue
        agents[name] = definition
    return agents, problems


def _parse(path: Path) -> tuple[str, AgentDefinition]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"it is larger than {MAX_FILE_BYTES // 1024} KB")
    text = path.read_text(encoding="utf-8")
    head, body = _split(text)
    try:
        fields = yaml.safe_load(head)
    except yaml.YAMLError as e:
        raise ValueError(f"its frontmatter is not YAML ({e})".replace("\n", " ")) from e
    if not isinstance(fields, dict):
        raise ValueError("its frontmatter is not a mapping")
    name = fields.get("name") or path.stem
    if not isinstance(name, str):
        raise ValueError("`name` is not a string")
    try:
        definition = AgentDefinition(
            description=fields.get("description"),  # type: ignore[arg-type]
            prompt=body.strip(),
            tools=_tools(fields.get("tools")),
            model=fields.get("model"),
        )
    except ValidationError as e:
        raise ValueError(validation_problems(e)) from e
    return name, definition


def _split(text: str) -> tuple[str, str]:
    """Frontmatter and body of a markdown file that starts with a `---` line."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("it does not start with YAML frontmatter (a `---` line)")
    for index, line in enumerate(lines[1:], 1):
        if line.strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    raise ValueError("its frontmatter has no closing `---` line")


def _tools(value: Any) -> list[str] | None:
    """`tools: Read, Grep` or a YAML list; absent means all of the parent's."""
    if value is None:
        return None
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return [t.strip() for t in value]
    raise ValueError("`tools` is neither a comma-separated string nor a list of names")

"""Lines of rich Text for what a person reads about a session: transcripts, tool calls,
permission requests, the agent's questions, token counts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from rich.text import Text

from tenure.models import (
    AskUserQuestionInput,
    ContentBlock,
    Message,
    PendingPermission,
    Question,
    SessionOutcome,
    SessionStatus,
    TextBlock,
    ThinkingBlock,
    TodoWriteInput,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)

RESULT_LINES = 6
"""Lines of each tool result that `tenure show` prints."""
INPUT_LINES = 12
TODO_MARKS = {
    "completed": ("☒ ", "dim strike"),
    "in_progress": ("◼ ", "bold"),
    "pending": ("☐ ", ""),
}
"""How each todo's status reads in a checklist (Claude Code's marks)."""


def cut(text: str, lines: int) -> str:
    kept = text.splitlines() or [""]
    more = len(kept) - lines
    return "\n".join(kept[:lines]) + (f"\n… ({more} more lines)" if more > 0 else "")


def indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def tool_input(value: dict[str, Any]) -> str:
    """A tool's input: one line of JSON when short, else indented and cut."""
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) <= 100:
        return compact
    return cut(json.dumps(value, indent=2, ensure_ascii=False), INPUT_LINES)


def transcript_lines(message: Message) -> list[Text]:
    """One message for `tenure show`: the role, then its blocks indented, with tool
    inputs and the start of each tool result."""
    role = Text(message.role, style="bold magenta" if message.role == "user" else "bold blue")
    return [role, *(Text("  ") + line for block in message.content for line in _block(block))]


def _block(block: ContentBlock) -> list[Text]:
    if isinstance(block, TextBlock):
        return [Text(line) for line in block.text.strip().splitlines()]
    if isinstance(block, ThinkingBlock):
        return [Text(line, style="dim italic")
                for line in cut(block.thinking.strip(), RESULT_LINES).splitlines()]
    if isinstance(block, ToolUseBlock):
        call = Text.assemble(("→ ", "cyan"), block.summary(100))
        readable = call_lines(block.name, block.input)
        if readable is not None:
            return [call, *(Text("  ") + line for line in readable)]
        shown = tool_input(block.input).splitlines() if block.input else []
        return [call, *(Text("  " + line, style="dim") for line in shown)]
    if isinstance(block, ToolResultBlock):
        mark = ("✗ ", "red") if block.is_error else ("✓ ", "green")
        result = block.content.strip() + "\n[image]" * len(block.images)
        first, *rest = cut(result.strip(), RESULT_LINES).splitlines() or ["(empty)"]
        return [Text.assemble(mark, first), *(Text("  " + line) for line in rest)]
    return [Text("[image]", style="dim")]


def call_lines(tool_name: str, value: dict[str, Any]) -> list[Text] | None:
    """A TodoWrite call as a checklist and an AskUserQuestion call as its questions, for
    a person to read instead of JSON; None for other tools (or input that does not fit)."""
    try:
        if tool_name == "TodoWrite":
            todos = TodoWriteInput.model_validate(value).todos
            return [Text.assemble(TODO_MARKS[t.status], (t.content, TODO_MARKS[t.status][1]))
                    for t in todos]
        if tool_name == "AskUserQuestion":
            asked = AskUserQuestionInput.model_validate(value).questions
            return [line for question in asked for line in question_lines(question)]
    except ValidationError:
        pass
    return None


def usage_line(usage: Usage, cost_usd: float = 0.0) -> str:
    """Tokens in and out, the prompt cache's reads and writes when there are any, and
    the cost when the model is priced."""
    line = f"{usage.input_tokens:,} in / {usage.output_tokens:,} out tokens"
    if usage.cache_read_input_tokens or usage.cache_creation_input_tokens:
        line += (f" (cache: {usage.cache_read_input_tokens:,} read, "
                 f"{usage.cache_creation_input_tokens:,} written)")
    if cost_usd:
        line += f" · ${cost_usd:.4f}" if cost_usd < 1 else f" · ${cost_usd:.2f}"
    return line


def status_line(session_id: str, status: SessionStatus) -> Text:
    return Text.assemble(
        (session_id, "bold"), " · ", (status.state.describe(), "yellow"),
        f" · turn {status.turn} · {usage_line(status.usage_total, status.cost_usd_total)}",
    )


def outcome_line(outcome: SessionOutcome) -> Text:
    turns = f"{outcome.turns} turn{'' if outcome.turns == 1 else 's'}"
    usage = usage_line(outcome.usage_total or outcome.usage, outcome.cost_usd_total)
    return Text(f"{outcome.stop_reason} · {turns} · {usage}", style="dim")


def permission_lines(pending: PendingPermission) -> list[Text]:
    return [
        Text.assemble(("? ", "bold yellow"), (f"Allow {pending.tool_name}?", "bold"),
                      (f" ({pending.reason})", "dim")),
        Text(indent(tool_input(pending.input))),
    ]


def question_lines(question: Question) -> list[Text]:
    lines = [Text(f"? [{question.header}] {question.question}", style="bold magenta")]
    for number, option in enumerate(question.options, 1):
        about = f" - {option.description}" if option.description else ""
        lines.append(Text(f"  {number}. {option.label}{about}"))
    if question.multiSelect:
        lines.append(Text("  (several numbers, comma-separated, are fine)", style="dim"))
    return lines


def chosen(question: Question, line: str) -> str:
    """Option numbers become their labels; anything else is the person's own answer."""
    parts = [p.strip() for p in line.split(",")] if question.multiSelect else [line.strip()]
    if parts and all(p.isdigit() and 1 <= int(p) <= len(question.options) for p in parts):
        return ", ".join(question.options[int(p) - 1].label for p in parts)
    return line.strip() or "(no answer)"

"""SessionView: one session's events as a person reads them on a terminal.

Each event becomes lines printed for good: the user's messages, the assistant's answers
rendered as Markdown, one line per tool call and one for its result, permission requests
and questions with how they were settled. The bottom region shows what is in flight: the
model's output as it streams, messages sent but not yet taken, a spinner while the agent
works, and the line being typed.
"""

from __future__ import annotations

import time

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.text import Text

from tenure.client import LiveOutput
from tenure.client.client import WAITING_STATES
from tenure.models import PendingPermission, SessionState, SessionStatus, TextBlock, Usage
from tenure.models.events import (
    Compacted,
    ErrorReported,
    FilePresented,
    MessageAdded,
    ModelError,
    PermissionRequested,
    PermissionResolved,
    QuestionAnswered,
    QuestionAsked,
    SessionEvent,
    SessionStarted,
    StateChanged,
    SubagentStarted,
    ToolEnded,
    ToolStarted,
    TurnEnded,
    UsageReported,
)
from tenure.terminal.render import call_lines, permission_lines, question_lines, usage_line

IDLE_STATES = ("idle", "done", "error")
"""States in which the agent does nothing until someone does something."""
PREVIEW_MARGIN = 6
"""Terminal rows kept free of the streaming preview (for the status and input lines)."""
THINKING_LINES = 3


class SessionView:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.output = LiveOutput()
        self.state: SessionState | None = None
        """The session's state as last published; None until the first state change."""
        self.turn = 0
        self.usage = Usage()
        self.cost_usd = 0.0
        self.queued: list[str] = []
        """Messages sent from this terminal that the session has not taken in yet."""
        self._spinner = Spinner("dots", style="cyan")
        self._calls: dict[str, str] = {}
        """Summaries of the tool calls under way, by id: a result that does not follow
        its own call (calls that ran side by side) is labelled with it."""
        self._last_call: str | None = None
        """The id of the call whose line was the last tool line printed, if that line
        was a call's (not a result's)."""
        """One spinner for the whole session, so that it turns between redraws."""
        self._busy_since: float | None = None

    def know(self, status: SessionStatus) -> None:
        """Take the session's state from its status (when coming back to it)."""
        self.state, self.turn, self.usage = status.state, status.turn, status.usage
        self.cost_usd = status.cost_usd_total

    @property
    def busy(self) -> bool:
        """Whether the agent is at work (or not yet known to be idle)."""
        return self.state is None or self.state.kind not in IDLE_STATES

    @property
    def waiting(self) -> bool:
        """Whether the session waits for a person (a permission decision, an answer)."""
        return self.state is not None and self.state.kind in WAITING_STATES

    def show(self, event: SessionEvent) -> list[RenderableType]:
        """Take one event; what to print for good because of it."""
        lines = self._lines(event)
        if isinstance(event, ToolStarted | ToolEnded):
            self._last_call = event.tool_use_id if isinstance(event, ToolStarted) else None
        return lines

    def _lines(self, event: SessionEvent) -> list[RenderableType]:
        self.output.apply(event)
        self.turn = event.turn
        if isinstance(event, StateChanged):
            self.state = event.state
        elif isinstance(event, UsageReported):
            self.usage, self.cost_usd = event.total, event.cost_usd_total
        elif isinstance(event, SessionStarted):
            return [Text(f"{event.model} · {event.mode} · {event.workspace}", style="dim")]
        elif isinstance(event, MessageAdded):
            return self._message(event)
        elif isinstance(event, ToolStarted):
            self._calls[event.tool_use_id] = event.summary
            call = Text.assemble(("● ", "cyan"), event.summary)
            if event.tool_name != "TodoWrite":  # a question is shown when it is asked
                return [call]
            checklist = call_lines(event.tool_name, event.input) or []
            return [call, *(Text("  ") + line for line in checklist)]
        elif isinstance(event, ToolEnded):
            summary = self._calls.pop(event.tool_use_id, None)
            return [_tool_result(event, None if event.tool_use_id == self._last_call else summary)]
        elif isinstance(event, PermissionRequested):
            return list(permission_lines(PendingPermission.model_validate(event.model_dump())))
        elif isinstance(event, PermissionResolved):
            return [_resolution(event)]
        elif isinstance(event, QuestionAsked):
            return [line for q in event.questions for line in question_lines(q)]
        elif isinstance(event, QuestionAnswered):
            if event.answers is None:
                return [Text("  not answered (interrupted)", style="dim")]
            return [Text(f"  {q}: {a}", style="dim") for q, a in event.answers.items()]
        elif isinstance(event, SubagentStarted):
            name = event.session_id.rpartition("/")[2]
            return [Text(f"  ↳ {name} · {event.subagent_type} · {event.description}",
                         style="dim")]
        elif isinstance(event, FilePresented):
            about = f" · {event.file.description}" if event.file.description else ""
            return [Text.assemble(("  ↳ ", "cyan"), event.file.file_path, (about, "dim"))]
        elif isinstance(event, ErrorReported):
            return [Text(event.message, style="yellow" if event.source == "signal" else "red")]
        elif isinstance(event, Compacted):
            return [Text(f"(compacted: {event.replaced_messages} messages summarized, "
                         f"{event.before_tokens:,} → about {event.after_tokens:,} tokens)",
                         style="dim")]
        elif isinstance(event, ModelError):
            return [Text(f"{event.message}, retrying in {event.retry_in_s:g} s "
                         f"(attempt {event.attempt + 1})", style="dim yellow")]
        elif isinstance(event, TurnEnded) and event.stop_reason in ("interrupted", "max_tokens"):
            return [Text(f"({event.stop_reason})", style="yellow")]
        return []

    def _message(self, event: MessageAdded) -> list[RenderableType]:
        texts = [b.text.strip() for b in event.content if isinstance(b, TextBlock)]
        texts = [t for t in texts if t]
        if event.kind == "assistant":
            return [Markdown("\n\n".join(texts), justify="default")] if texts else []
        if event.kind == "tool_result":
            return []  # shown by tool_end
        self.queued.clear()  # the session takes in every message waiting at once
        lines = [line for text in texts for line in text.splitlines()]
        return [Text.assemble(("> " if i == 0 else "  ", "dim"), (line, "bold"))
                for i, line in enumerate(lines)]

    def region(self, prompt: str | None, typed: str) -> RenderableType:
        """The bottom region: the streaming preview, queued messages, a spinner while
        the agent works, and (when `prompt` is given) the line being typed after it."""
        parts: list[RenderableType] = []
        width = self.console.width
        rows = max(1, self.console.height - PREVIEW_MARGIN - len(self.queued))
        if self.output.thinking and not self.output.text:
            thought = Text(self.output.thinking.strip(), style="dim italic").wrap(
                self.console, width)
            parts += list(thought)[-THINKING_LINES:]
        if self.output.text:
            parts += list(Text(self.output.text.strip()).wrap(self.console, width))[-rows:]
        parts += [Text(f"queued: {text}", style="dim", no_wrap=True, overflow="ellipsis")
                  for text in self.queued]
        if self.busy and not self.waiting:
            now = time.monotonic()
            if self._busy_since is None:
                self._busy_since = now
            doing = self.state.describe() if self.state else "starting"
            elapsed = int(now - self._busy_since)
            about = f"{doing} · turn {self.turn} · {usage_line(self.usage, self.cost_usd)} · {elapsed}s"
            self._spinner.update(text=Text(about, style="dim"))
            parts.append(self._spinner)
        else:
            self._busy_since = None
        if prompt is not None:
            parts.append(Text.assemble((prompt, "bold"), typed, (" ", "reverse")))
        return Group(*parts)


def _tool_result(event: ToolEnded, call: str | None) -> Text:
    """A result's first line, after its call's summary when `call` is given."""
    first, *more = event.preview.strip().splitlines() or ["(no output)"]
    mark = ("  ✗ ", "red") if event.is_error else ("  ✓ ", "green")
    return Text.assemble(mark, (f"{call}: ", "dim") if call else "", first,
                         (" …" if more else "", "dim"))


def _resolution(event: PermissionResolved) -> Text:
    if event.decision == "interrupted":
        return Text("  no longer asked (interrupted)", style="dim")
    said = "denied" if event.decision == "deny" else (
        "allowed for this session" if event.scope == "session" else "allowed once")
    return Text(f"  {said}" + (f" · {event.decided_by}" if event.decided_by else ""),
                style="dim")

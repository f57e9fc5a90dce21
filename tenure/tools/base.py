"""The Tool protocol: what a tool is, the context it runs in, and how it reports failure."""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, get_type_hints, runtime_checkable

from pydantic import BaseModel

from tenure.models import ToolKind


class ToolError(Exception):
    """A failure the model should see as an error tool_result (not a crash)."""


@dataclass
class ToolContext:
    """Where a tool runs: the session's workspace on this worker, and its limits."""

    workspace: Path
    session_id: str = ""
    additional_directories: list[Path] = field(default_factory=list)
    env_passthrough: list[str] = field(default_factory=list)
    """Secret environment variables the worker policy lets the agent's commands see."""

    def resolve_path(self, path: str) -> Path:
        """An absolute, symlink-resolved path inside the workspace (or an extra directory).

        Relative paths are taken from the workspace. Raises ToolError for anything outside,
        symlink escapes included.
        """
        raw = Path(os.path.expanduser(path))
        candidate = raw if raw.is_absolute() else self.workspace / raw
        resolved = candidate.resolve()
        for root in [self.workspace, *self.additional_directories]:
            if resolved == root.resolve() or resolved.is_relative_to(root.resolve()):
                return resolved
        raise ToolError(
            f"Path {path} is outside the session's workspace ({self.workspace}); access refused."
        )


@runtime_checkable
class Tool(Protocol):
    """A tool the model can call. Register instances on the worker (AgentPlugin(tools=[...]))."""

    name: str
    description: str
    input_model: type[BaseModel]
    kind: ToolKind
    """`read` (changes nothing), `edit` (changes files) or `execute` (anything else).
    A tool may also say `concurrent = True` or `False`: whether its calls may run beside
    each other's and other such calls of the same model reply (by default, when it is a
    `read` tool)."""

    async def execute(self, input: Any, ctx: ToolContext) -> str:
        """Run the tool; return the text the model sees, or raise ToolError."""
        ...


def input_schema(tool: Tool) -> dict[str, Any]:
    """The JSON schema the model sees for a tool's input."""
    schema = tool.input_model.model_json_schema()
    schema.pop("title", None)
    return schema


ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class FunctionTool:
    """A Tool made from an async function by the `tool` decorator."""

    name: str
    description: str
    input_model: type[BaseModel]
    kind: ToolKind
    fn: Callable[[Any, ToolContext], Awaitable[str]]

    async def execute(self, input: Any, ctx: ToolContext) -> str:
        return await self.fn(input, ctx)


def tool(
    name: str | None = None, *, kind: ToolKind = "execute", description: str | None = None
) -> Callable[[Callable[[ModelT, ToolContext], Awaitable[str]]], FunctionTool]:
    """Make a Tool from `async def fn(input: SomeModel, ctx: ToolContext) -> str`.

    The name defaults to the function's name, the description to its docstring, and the
    input model is read from the first parameter's annotation.
    """

    def wrap(fn: Callable[[ModelT, ToolContext], Awaitable[str]]) -> FunctionTool:
        hints = get_type_hints(fn)
        first = next(iter(inspect.signature(fn).parameters))
        model = hints[first]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{fn.__name__}: the first parameter must be a pydantic model")
        return FunctionTool(
            name=name or fn.__name__,
            description=description or inspect.getdoc(fn) or "",
            input_model=model,
            kind=kind,
            fn=fn,
        )

    return wrap


class ToolRegistry:
    """The tools a worker offers, by name."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self._tools[t.name] = t
        self._definitions: dict[str, dict[str, Any]] = {}
        """Each tool's definition, built once: its schema is the same for every call."""

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def definitions(self, names: Iterable[str]) -> list[dict[str, Any]]:
        """Anthropic-shaped tool definitions for the named tools, in the given order
        (shared between calls: a provider must not change them)."""
        return [d for n in names if (d := self._definition(n)) is not None]

    def _definition(self, name: str) -> dict[str, Any] | None:
        if name not in self._definitions:
            if (t := self._tools.get(name)) is None:
                return None
            self._definitions[name] = {
                "name": t.name, "description": t.description, "input_schema": input_schema(t)
            }
        return self._definitions[name]

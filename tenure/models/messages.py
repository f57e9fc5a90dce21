"""Conversation messages in Anthropic's content-block shape, the lingua franca of tenure."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class TextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ThinkingBlock(BaseModel):
    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str = ""
    """Opaque signature the provider needs to accept the block back in a later request."""


class ImageSource(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["base64", "url"]
    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class ImageBlock(BaseModel):
    type: Literal["image"] = "image"
    source: ImageSource


class ToolUseBlock(BaseModel):
    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: dict[str, Any]

    def summary(self, limit: int = 80) -> str:
        """`Bash · npm test`, `Read · src/app.py`: the tool and what it is about, one line."""
        if self.name == "TodoWrite" and isinstance(todos := self.input.get("todos"), list):
            items = [t for t in todos if isinstance(t, dict)]
            doing = [str(t.get("activeForm") or t.get("content"))
                     for t in items if t.get("status") == "in_progress"]
            done = sum(1 for t in items if t.get("status") == "completed")
            about = f"{len(items)} todos, {done} done" + (f" · {doing[0]}" if doing else "")
            return f"{self.name} · {about}"[: limit + len(self.name) + 3]
        if self.name == "AskUserQuestion" and isinstance(asked := self.input.get("questions"), list):
            texts = [str(q.get("question")) for q in asked if isinstance(q, dict)]
            if texts:
                more = f" (+{len(texts) - 1} more)" if len(texts) > 1 else ""
                return f"{self.name} · {texts[0][:limit]}{more}"
        for key in ("command", "file_path", "pattern", "path", "url"):
            value = self.input.get(key)
            if isinstance(value, str) and value.strip():
                return f"{self.name} · {value.strip().splitlines()[0][:limit]}"
        compact = json.dumps(self.input, ensure_ascii=False)
        return f"{self.name} · {compact[:limit]}" if self.input else self.name


class ToolResultBlock(BaseModel):
    """A tool's result. On the wire (history, transcript, API) it has Anthropic's shape:
    `content` is the text, or a list of text and image blocks when the result carries
    images; in Python `content` is always the text and `images` the images."""

    type: Literal["tool_result"] = "tool_result"
    tool_use_id: str
    content: str
    is_error: bool = False
    images: list[ImageBlock] = Field(default_factory=list, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split_content(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("content"), list):
            blocks = data["content"]
            texts = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
            images = [b for b in blocks if isinstance(b, dict) and b.get("type") == "image"]
            data = {**data, "content": "\n\n".join(texts), "images": images}
        return data

    @model_serializer(mode="wrap")
    def _join_content(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.images:
            text = [{"type": "text", "text": self.content}] if self.content else []
            data["content"] = [*text, *(i.model_dump(exclude_none=True) for i in self.images)]
        return data


ContentBlock = Annotated[
    TextBlock | ThinkingBlock | ImageBlock | ToolUseBlock | ToolResultBlock,
    Field(discriminator="type"),
]


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: list[ContentBlock]

    @property
    def text(self) -> str:
        """The message's text blocks joined, without thinking or tool blocks."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]


class Usage(BaseModel):
    """Token counts, summed over model calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
        )

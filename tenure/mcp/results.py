"""An MCP tool's result as tenure's ToolResult: text, images the model sees, embedded
resources and structured content."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from tenure.models import ImageBlock, ImageSource, ToolResult
from tenure.tools.limits import cap_bytes

CUT_HINT = "ask the tool for less at a time"
MODEL_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
"""The image types the models take; other images are described in text."""


def tool_result(result: types.CallToolResult) -> ToolResult:
    texts: list[str] = []
    images: list[ImageBlock] = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            texts.append(block.text)
        elif isinstance(block, types.ImageContent):
            _image(block.mime_type, block.data, "image", texts, images)
        elif isinstance(block, types.AudioContent):
            texts.append(f"[audio, {block.mime_type}, not shown]")
        elif isinstance(block, types.ResourceLink):
            about = f" ({block.mime_type})" if block.mime_type else ""
            texts.append(f"[resource link: {block.name} {block.uri}{about}]")
        elif isinstance(block, types.EmbeddedResource):
            _resource(block.resource, texts, images)
    if result.structured_content is not None and not _already_in(result.structured_content, texts):
        texts.append(json.dumps(result.structured_content, ensure_ascii=False, indent=2))
    content = cap_bytes("\n\n".join(texts), CUT_HINT)
    return ToolResult(content=content, is_error=bool(result.is_error), images=images)


def _image(mime: str, data: str, what: str, texts: list[str], images: list[ImageBlock]) -> None:
    if mime in MODEL_IMAGE_TYPES:
        images.append(ImageBlock(source=ImageSource(type="base64", media_type=mime, data=data)))
    else:
        texts.append(f"[{what}, {mime}, {len(data) * 3 // 4} bytes, not shown]")


def _resource(
    resource: types.TextResourceContents | types.BlobResourceContents,
    texts: list[str],
    images: list[ImageBlock],
) -> None:
    mime = resource.mime_type or "application/octet-stream"
    if isinstance(resource, types.TextResourceContents):
        texts.append(f"[resource {resource.uri} ({mime})]\n{resource.text}")
    else:
        _image(mime, resource.blob, f"resource {resource.uri}", texts, images)


def _already_in(structured: Any, texts: list[str]) -> bool:
    """Whether a text block holds the structured content already (servers should send
    both; then the model reads it once). A lone value wrapped as `{"result": value}`
    (what SDK servers make of a function's plain return value) counts too."""
    if isinstance(structured, dict) and len(structured) == 1 and "result" in structured:
        if structured["result"] in texts:
            return True
    for text in texts:
        try:
            if json.loads(text) == structured:
                return True
        except ValueError:
            continue
    return False

"""A tool result with images, as each provider sends it (an MCP tool's image content)."""

from __future__ import annotations

from tenure.models import ImageBlock, ImageSource, Message, ToolResultBlock
from tenure.providers.anthropic import _messages
from tenure.providers.openai import _user

IMAGE = ImageBlock(source=ImageSource(type="base64", media_type="image/png", data="iVBORw0KGgo="))


def result_message() -> Message:
    return Message(role="user", content=[
        ToolResultBlock(tool_use_id="toolu_1", content="a screenshot", images=[IMAGE])
    ])


def test_anthropic_gets_text_and_image_blocks_in_the_tool_result() -> None:
    [param] = _messages([result_message()], [])
    block = param["content"][0]  # type: ignore[index]
    assert block["type"] == "tool_result"  # type: ignore[index]
    assert [b["type"] for b in block["content"]] == ["text", "image"]  # type: ignore[index]
    assert block["content"][1]["source"]["media_type"] == "image/png"  # type: ignore[index]


def test_openai_gets_the_text_as_the_tool_message_and_the_image_after_it() -> None:
    tool, user = _user(result_message(), [])
    assert tool == {"role": "tool", "tool_call_id": "toolu_1", "content": "a screenshot"}
    assert user["role"] == "user"
    assert user["content"][-1] == {
        "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}
    }


def test_a_result_without_images_keeps_its_plain_shape() -> None:
    block = ToolResultBlock(tool_use_id="toolu_1", content="ok")
    assert block.model_dump() == {
        "type": "tool_result", "tool_use_id": "toolu_1", "content": "ok", "is_error": False
    }
    again = ToolResultBlock.model_validate(result_message().content[0].model_dump())
    assert again.content == "a screenshot" and again.images == [IMAGE]

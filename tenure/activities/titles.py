"""The `generate_title` activity: a short title for a session, from its first turn, by
a small model of the session's provider (a scripted session's is made up in the
workflow: tenure.models.titles)."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from tenure.models import Message, ModelRequest, TextBlock
from tenure.models.io import TitleRequest, TitleResult
from tenure.models.titles import cleaned
from tenure.providers import ModelCallError, provider_for

TITLE_PROMPT = (
    "You name conversations between a person and an AI agent. Reply with a title of at "
    "most six words for the task the person gave: plain words, no quotes, no punctuation "
    "at the end, in the person's language."
)
TITLE_MODELS = {"anthropic": "anthropic:claude-haiku-4-5"}
"""The small model each provider's sessions get their titles from (other providers: the
session's own model)."""
EXCERPT_CHARS = 2000


def title_model(model: str) -> str:
    prefix, sep, _ = model.partition(":")
    return TITLE_MODELS.get(prefix if sep else "anthropic", model)


@activity.defn(name="generate_title")
async def generate_title(request: TitleRequest) -> TitleResult:
    model = title_model(request.model)
    asked = (f"The person asked:\n{request.prompt[:EXCERPT_CHARS]}\n\n"
             f"The agent answered:\n{request.reply[:EXCERPT_CHARS]}")
    try:
        response = await provider_for(model).complete(
            ModelRequest(
                model=model, system_prompt=TITLE_PROMPT, max_tokens=40, turn=0, tools=[],
                messages=[Message(role="user", content=[TextBlock(text=asked)])],
                session_id=request.session_id,
            ),
            [],
            lambda kind, text: None,
        )
    except ModelCallError as e:
        raise ApplicationError(str(e), type="ModelCallError", non_retryable=not e.retryable) from e
    return TitleResult(title=cleaned(response.message.text))

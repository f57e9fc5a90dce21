"""A session's owner (TenureOwner) stays with it when it continues as new, so its owner
keeps seeing a long session through the API."""

from __future__ import annotations

from pathlib import Path

from conftest import ScriptWriter, state_is, text, wait_for
from test_continue_as_new import agents, hand_over, runs_of, short_history_server  # noqa: F401

from tenure import AgentClient, SessionConfig
from tenure.models.search import TENURE_OWNER


async def test_the_owner_carries_over_to_the_next_run(
    agents: AgentClient,
    script: ScriptWriter,
    workspace: Path,  # noqa: F811
) -> None:
    config = SessionConfig(model=script([[text("hi")]]), prompt="hello", workspace=str(workspace))
    handle = await agents.start(config, owner="olga")
    await wait_for(handle, state_is("idle"))
    await hand_over(agents.client, handle)
    await wait_for(handle, state_is("idle"))
    assert len(await runs_of(agents.client, handle.id)) >= 2
    description = await handle.workflow.describe()
    assert description.typed_search_attributes.get(TENURE_OWNER) == "olga"
    assert [s.id for s in await agents.list(owner="olga")] == [handle.id]
    await handle.end()

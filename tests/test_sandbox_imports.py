"""Sessions share one copy of tenure's modules: inside Temporal's workflow sandbox, each
session loaded the workflow module and tenure's other layers again (about 2 MB and
150 ms of CPU per session), so AgentSession runs outside it."""

from __future__ import annotations

import gc
import types
from collections import Counter

from conftest import ScriptWriter, StartSession, text, wait_for


async def test_sessions_share_one_copy_of_tenure_modules(
    script: ScriptWriter, start_session: StartSession
) -> None:
    model = script([[text("hi")]])
    sessions = [await start_session(model, prompt="hello") for _ in range(5)]
    for session in sessions:  # idle and cached on the worker, sandbox and all
        await wait_for(session, lambda s: s.state.kind == "idle" and s.turn == 1)
    copies = Counter(
        m.__name__ for m in gc.get_objects()
        if isinstance(m, types.ModuleType) and m.__name__.startswith("tenure")
    )
    for name in ("tenure.models.messages", "tenure.models.events", "tenure.permissions",
                 "tenure.workflows.inbound", "tenure.tools.bash", "tenure.client.client",
                 "tenure.workers.plugin", "tenure.providers.anthropic"):
        assert copies[name] <= 1, (name, copies[name])
    for session in sessions:
        await session.end()

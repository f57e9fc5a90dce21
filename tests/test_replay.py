"""Safe deploys: histories recorded from sessions run by earlier versions of tenure are
replayed with today's AgentSession. A change that would give a running session other
commands than it ran with fails here: gate it with workflow.patched (or ship it as a new
Worker Deployment version). Record more with tests/histories/record.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tenure.payloads import data_converter
from tenure.workflows import AgentSession

HISTORIES = sorted(Path(__file__).parent.joinpath("histories").glob("*/*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 3


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_sessions_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[AgentSession], data_converter=data_converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure

"""The turn loop end to end: real dev server, real worker, scripted model, real tools."""

from __future__ import annotations

from pathlib import Path

from conftest import ScriptWriter, StartSession, state_is, text, tool_use, wait_for


async def test_multi_turn_autonomous_session_with_tools(
    script: ScriptWriter, start_session: StartSession, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    model = script([
        [text("Reading."), tool_use("Read", {"file_path": "notes.txt"})],
        [tool_use("Write", {"file_path": "out.txt", "content": "done"})],
        [text("All done.")],
    ])
    handle = await start_session(
        model, prompt="copy notes", mode="autonomous", permission_mode="acceptEdits"
    )
    outcome = await handle.result()
    assert outcome.stop_reason == "end_turn"
    assert outcome.text == "All done."
    assert outcome.turns == 3
    assert (workspace / "out.txt").read_text() == "done"
    page = await handle.transcript()
    assert [m.role for m in page.messages] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    read_result = page.messages[2].content[0]
    assert read_result.type == "tool_result" and "alpha" in read_result.content
    status = await handle.status()
    assert status.state.kind == "done"
    assert status.usage.output_tokens == 30

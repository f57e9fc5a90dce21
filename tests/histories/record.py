"""Record representative AgentSession histories for the replay test.

Run it with the tenure version whose sessions must keep replaying (for example from a
git worktree of an older commit): `PYTHONPATH=/path/to/that/tree python
tests/histories/record.py tests/histories/NAME`. It starts its own dev server and worker
and writes one JSON history per scenario into the folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the fake API
from fake_anthropic import FakeAnthropic  # noqa: E402

from tenure import AgentClient, SessionConfig
from tenure.hooks import Hook
from tenure.models import HookResult
from tenure.devserver import free_port, start_dev_server
from tenure.workers import build_worker, connect


def use(name: str, tool_input: dict[str, Any], n: int) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": tool_input}


async def until(handle: Any, kind: str, turn: int | None = None) -> Any:
    while True:
        status = await handle.status()
        if status.state.kind == kind and (turn is None or status.turn == turn):
            return status
        await asyncio.sleep(0.05)


async def asked(handle: Any, tool_use_id: str) -> str:
    """The id of the permission request for that call, once it waits."""
    while True:
        status = await handle.status()
        for pending in status.pending_permissions:
            if pending.tool_use_id == tool_use_id:
                return str(pending.request_id)
        await asyncio.sleep(0.05)


async def record(out: Path) -> None:
    work = Path(tempfile.mkdtemp())
    (work / "notes.txt").write_text("first line\n")
    (work / "big.txt").write_text("a longer line of notes\n" * 100)  # events over 1 KB
    scripts = {
        "approvals": [
            [{"type": "text", "text": "Reading."}, use("Read", {"file_path": "notes.txt"}, 1)],
            [use("Write", {"file_path": "out.txt", "content": "hi"}, 2)],
            [use("Bash", {"command": "echo one"}, 3), use("Bash", {"command": "echo one"}, 4)],
            [use("Bash", {"command": "touch never.txt"}, 5)],
            "All done.",
        ],
        "conversation": [
            [use("AskUserQuestion", {"questions": [{
                "question": "Which colour?", "header": "Colour", "multiSelect": False,
                "options": [{"label": "red", "description": "warm"},
                            {"label": "blue", "description": "cool"}]}]}, 1)],
            [use("TodoWrite", {"todos": [{"content": "paint", "status": "in_progress",
                                          "activeForm": "painting"}]}, 2),
             use("Bash", {"command": "sleep 2; echo painted"}, 3)],
            "Painted it blue.",
            [use("Bash", {"command": "sleep 30"}, 4)],
            "Stopped.",
        ],
        "failure": "no such script",
        "jobs": [
            [use("Bash", {"command": "for i in 1 2 3; do echo tick $i; sleep 0.2; done",
                          "run_in_background": True}, 1)],
            [use("Bash", {"command": "sleep 1"}, 2)],
            [use("BashOutput", {"bash_id": "bash_1"}, 3),
             use("Bash", {"command": "rm -rf /tmp/nothing-here"}, 4)],
            "Ticked.",
        ],
        "long": [
            *[turn for k in range(8)
              for turn in ([use("Read", {"file_path": "big.txt"}, 10 + k)], f"read {k}")],
            [use("Bash", {"command": "echo approved"}, 30)],
            "bash done",
        ],
        "parallel": [
            [use("Read", {"file_path": "notes.txt"}, 50), use("Glob", {"pattern": "*.txt"}, 51),
             use("Bash", {"command": "echo asked"}, 52), use("Read", {"file_path": "big.txt"}, 53),
             use("Grep", {"pattern": "notes"}, 54)],
            "Parallel done.",
        ],
        "early": ["Both taken in."],
        "agents": [
            [use("Agent", {"description": "help out", "prompt": "say hi",
                           "subagent_type": "helper"}, 60),
             use("Agent", {"description": "help more", "prompt": "say hi again",
                           "subagent_type": "helper"}, 61)],
            "Delegated.",
        ],
        "helper": ["Helped."],
        "budget": [
            [use("Bash", {"command": "echo allowed by a hook"}, 70)],
            [use("Bash", {"command": "echo asked"}, 71)],
            "Within budget again.",
        ],
        "hosts": [
            [use("Write", {"file_path": "one.txt", "content": "1"}, 40)], "One.",
            [use("Write", {"file_path": "two.txt", "content": "2"}, 41)], "Two.",
        ],
    }
    async def no_rm(event: Any) -> Any:
        if "rm -rf" in (event.tool_input or {}).get("command", ""):
            return HookResult(decision="deny", reason="no rm -rf here")
        return None

    os.environ["TENURE_HOST_TIMEOUT"] = "2"  # a gone host is given up on after 2 s
    # Continue-as-new is suggested early, so that a short session crosses runs.
    server = start_dev_server(
        port=free_port(), ui_port=None, ephemeral=True,
        dynamic_config=["limit.historyCount.suggestContinueAsNew=120"],
    )
    try:
        client = await connect(server.address)
        async def allow_echo(event: Any) -> Any:
            if (event.tool_input or {}).get("command", "").startswith("echo allowed"):
                return HookResult(decision="allow")
            return None

        async def noted(event: Any) -> None:
            return None

        hooks = [Hook("PreToolUse", no_rm, matcher="Bash"),
                 Hook("PermissionRequest", allow_echo, matcher="Bash"),
                 *(Hook(event, noted) for event in ("Notification", "PostToolBatch", "Stop"))]
        async with build_worker(client, task_queue="record", hooks=hooks):
            agents = AgentClient(client, task_queue="record")
            models = {}
            for name, turns in scripts.items():
                path = work / f"{name}.json"
                if isinstance(turns, list):
                    path.write_text(json.dumps(turns))
                models[name] = f"scripted:{path}"

            approvals = await agents.start(SessionConfig(
                model=models["approvals"], prompt="tidy up", mode="autonomous",
                workspace=str(work), title="approvals"), session_id="replay-approvals")
            await approvals.approve(await asked(approvals, "toolu_2"))
            # Allowed for the session: the same command beside it is answered with it.
            await approvals.approve(await asked(approvals, "toolu_3"), scope="session")
            await approvals.deny(await asked(approvals, "toolu_5"), reason="never")
            await approvals.workflow.signal("user_message", {"nonsense": True})
            await approvals.result()

            chat = await agents.start(SessionConfig(
                model=models["conversation"], prompt="paint it", workspace=str(work),
                tools=["Bash", "TodoWrite", "AskUserQuestion"],
                permission_mode="bypassPermissions"), session_id="replay-conversation")
            status = await until(chat, "waiting_for_user_input")
            await chat.answer(status.pending_questions[0].request_id, {"Which colour?": "blue"})
            await until(chat, "executing_tool")
            await chat.send("make it quick")  # steers: taken in after the Bash call
            await until(chat, "idle", turn=3)
            await chat.send("now wait")
            await until(chat, "executing_tool")
            await chat.interrupt()
            await until(chat, "idle")
            await chat.send("stop there")
            await until(chat, "idle", turn=5)
            await chat.end()
            await chat.result()

            failing = await agents.start(SessionConfig(
                model=models["failure"], prompt="fail", mode="autonomous",
                workspace=str(work)), session_id="replay-failure")
            try:
                await failing.result()
            except Exception:  # noqa: BLE001 - newer versions fail the workflow
                pass

            jobs = await agents.start(SessionConfig(
                model=models["jobs"], prompt="tick", mode="autonomous", workspace=str(work),
                tools=["Bash", "BashOutput", "KillShell"],
                permission_mode="bypassPermissions"), session_id="replay-jobs")
            await jobs.result()

            # A long conversation: continue-as-new (while idle, and while an approval
            # waits), and a compaction on demand, with a follower all along.
            long = await agents.start(SessionConfig(
                model=models["long"], prompt="start", workspace=str(work),
                tools=["Read", "Bash"]), session_id="replay-long")
            follower = asyncio.create_task(_follow(long))
            await until(long, "idle", turn=2)
            for k in range(1, 8):
                await long.send(f"read {k}")
                await until(long, "idle", turn=2 + 2 * k)
                if k == 4:
                    await long.compact("keep the file names")
            await long.send("run bash")
            status = await until(long, "waiting_for_permission")
            runs = len([r async for r in client.list_workflows("WorkflowId = 'replay-long'")])
            while len([r async for r in client.list_workflows(
                    "WorkflowId = 'replay-long'")]) == runs:
                await long.workflow.signal("no_such_signal", {})
                await asyncio.sleep(0.05)
            await long.approve(status.pending_permissions[0].request_id)
            await until(long, "idle", turn=18)
            await long.end()
            await long.result()
            await asyncio.wait_for(follower, 30)

            # Calls of one reply side by side, one waiting for approval across a handover.
            parallel = await agents.start(SessionConfig(
                model=models["parallel"], prompt="look around", mode="autonomous",
                workspace=str(work), tools=["Read", "Glob", "Grep", "Bash"]),
                session_id="replay-parallel")
            request_id = await asked(parallel, "toolu_52")
            runs = len([r async for r in client.list_workflows("WorkflowId = 'replay-parallel'")])
            while len([r async for r in client.list_workflows(
                    "WorkflowId = 'replay-parallel'")]) == runs:
                await parallel.workflow.signal("no_such_signal", {})
                await asyncio.sleep(0.05)
            await parallel.approve(request_id)
            await parallel.result()

            # A message that reaches the session with its start (signal-with-start), before
            # its first workflow task: it goes after the first prompt.
            early_handle = await client.start_workflow(
                "AgentSession", SessionConfig(
                    model=models["early"], prompt="first", mode="autonomous",
                    workspace=str(work)),
                id="replay-early", task_queue="record", start_signal="user_message",
                start_signal_args=[{"text": "second"}])
            early = agents.get(early_handle.id)
            await early.result()

            # Two subagents side by side (child sessions), reporting back.
            delegating = await agents.start(SessionConfig(
                model=models["agents"], prompt="delegate", mode="autonomous",
                workspace=str(work), tools=["Read", "Agent"],
                agents={"helper": {"description": "helps", "prompt": "Help.",
                                   "model": models["helper"]}}), session_id="replay-agents")
            await delegating.result()
            helper = agents.get("replay-agents/agent-1")

            # A PermissionRequest hook allows the first Bash, a person the second
            # (Notification, PostToolBatch and Stop hooks run too); then a budget stop (20
            # tokens a call: the second call passed 30) and set_budget, which resumes the turn.
            budget = await agents.start(SessionConfig(
                model=models["budget"], prompt="spend", workspace=str(work),
                tools=["Bash"], budget={"max_tokens": 30}), session_id="replay-budget")
            await budget.approve(await asked(budget, "toolu_71"))
            await until(budget, "idle")
            await budget.workflow.signal("set_budget", {"max_tokens": None})
            while (status := await budget.status()).usage.output_tokens < 30 \
                    or status.state.kind != "idle":
                await asyncio.sleep(0.05)
            await budget.end()
            await budget.result()

            # A Claude session on the fake Messages API: thinking asked for, and a title
            # from a small model after the first turn.
            with FakeAnthropic() as fake:
                os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
                os.environ["ANTHROPIC_API_KEY"] = "record"
                from tenure.providers.anthropic import default_client
                default_client.cache_clear()
                fake.add(FakeAnthropic.stream([
                    {"type": "thinking", "thinking": "Look first.", "signature": "s"},
                    use("Read", {"file_path": "notes.txt"}, 80)]),
                    FakeAnthropic.stream(["It says first line."]))
                titled = await agents.start(SessionConfig(
                    model="claude-sonnet-4-5", prompt="what do the notes say?",
                    workspace=str(work), tools=["Read"], max_tokens=4096,
                    thinking={"type": "enabled", "budget_tokens": 2048}),
                    session_id="replay-titled")
                await until(titled, "idle", turn=2)
                while (await titled.status()).title == "what do the notes say?":
                    await asyncio.sleep(0.05)
                await titled.end()
                await titled.result()

        # A host move: the worker that hosts the session's tools goes away between two
        # turns; the next tool call waits for it, then the session moves to another.
        first = build_worker(client, task_queue="record-hosts")
        await first.__aenter__()
        hosts = await AgentClient(client, task_queue="record-hosts").start(SessionConfig(
            model=models["hosts"], prompt="write one", workspace=str(work),
            permission_mode="acceptEdits"), session_id="replay-hosts")
        await until(hosts, "idle", turn=2)
        # A second connection: one client may run one worker per task queue.
        async with build_worker(await connect(server.address), task_queue="record-hosts"):
            await first.__aexit__(None, None, None)
            await hosts.send("write two")
            await until(hosts, "idle", turn=4)
            await hosts.end()
            await hosts.result()

            out.mkdir(parents=True, exist_ok=True)
            for handle in (approvals, chat, failing, jobs, long, parallel, early, delegating,
                           helper, budget, titled, hosts):
                runs_of = [r async for r in client.list_workflows(f"WorkflowId = '{handle.id}'")]
                for n, run in enumerate(reversed(runs_of), 1):
                    history = await client.get_workflow_handle(
                        handle.id, run_id=run.run_id).fetch_history()
                    name = handle.id.replace("/", "-")
                    name = name if len(runs_of) == 1 else f"{name}-run{n}"
                    (out / f"{name}.json").write_text(history.to_json())
    except BaseException:
        traceback.print_exc()  # now: a worker still running would keep the process alive
        raise
    finally:
        server.stop()


async def _follow(handle: Any) -> None:
    async for _ in handle.events():
        pass


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))

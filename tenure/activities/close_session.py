"""The `close_session` activity: release what a session held on the worker."""

from __future__ import annotations

from temporalio import activity

from tenure.tools.bash_jobs import kill_session_jobs


@activity.defn(name="close_session")
async def close_session(session_id: str) -> int:
    """Kill the session's background Bash jobs; returns how many were still running.

    Jobs live in the worker process that started them: with several workers, jobs on
    another worker outlive the session (a known limit, see README)."""
    return await kill_session_jobs(session_id)

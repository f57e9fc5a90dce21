"""Workers: build_worker(), AgentPlugin, `python -m tenure.workers`."""

from tenure.workers.plugin import AgentPlugin
from tenure.connection import connect
from tenure.workers.worker import AgentWorker, build_worker, run_worker

__all__ = ["AgentPlugin", "AgentWorker", "build_worker", "connect", "run_worker"]

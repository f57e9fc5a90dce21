"""Workflows: deterministic code only. They use models and permissions, nothing else."""

from tenure.workflows.session import AgentSession

__all__ = ["AgentSession"]

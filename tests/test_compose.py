"""docker-compose.yml keeps its promises (Docker itself cannot run here): Temporal's
current images with the schema set up by admin-tools, health checks, restart policies,
services that wait for what they need, every search attribute registered in its own
call, and workers that use /workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tenure.models.search import SEARCH_ATTRIBUTES

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"


def services() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = data["services"]
    return found


def test_current_images_and_no_auto_setup() -> None:
    images = {name: s.get("image", "") for name, s in services().items()}
    assert not any("auto-setup" in image for image in images.values())
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-ui"] >= "temporalio/ui:2.4"


def test_long_running_services_have_health_checks_and_restart() -> None:
    for name in ("postgresql", "temporal", "temporal-ui", "worker"):
        service = services()[name]
        assert service.get("restart") == "unless-stopped", name
    for name in ("postgresql", "temporal", "worker"):
        assert "test" in services()[name]["healthcheck"], name


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

"""docker-compose.yml cannot run here (no Docker engine): it is checked against the
Compose Specification's JSON schema (tests/data/compose_spec.json) and for what a
deployment needs: secrets without defaults, ports on 127.0.0.1 unless configured, health
checks on the API and the worker, an image that does not run as root."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_the_file_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "compose_spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)  # the schema's own draft
    validator.validate(_compose())  # raises, naming the first problem
    bad = {**_compose(), "services": {"api": {"ports": 8765, "build": "."}}}
    try:
        validator.validate(bad)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema let a malformed file through: the check checks nothing")


def test_neo4j_service_has_browser_bolt_healthcheck_and_volume() -> None:
    compose = _compose()
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert {p.rsplit(":", 2)[-2] for p in neo4j["ports"]} == {"7474", "7687"}
    assert neo4j["healthcheck"]["test"]
    volume = neo4j["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in compose["volumes"]


def test_api_and_worker_are_built_and_checked_and_wait_for_what_they_need() -> None:
    services = _compose()["services"]
    api, worker = services["api"], services["worker"]
    assert api["build"] == worker["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert "--metrics-port" in worker["command"] and "9100/metrics" in " ".join(
        worker["healthcheck"]["test"]
    )


def test_secrets_have_no_default_and_ports_stay_on_this_machine() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("NEO4J_PASSWORD", "GRAPHSVC_API_KEYS", "GRAPHSVC_WORKER_KEY"):
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses and all(use.startswith(":?") for use in uses), secret
    for service in _compose()["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("${GRAPHSVC_BIND:-127.0.0.1}:"), port


def test_the_image_runs_as_an_unprivileged_user_and_copies_only_what_it_needs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "tests", "bench"} <= ignored

"""``GET /metrics`` (issue 23): Prometheus text with the HTTP series and the engine's own,
scraped while a plan runs; the engine's series move with it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from graphsvc.ids import new_id
from tests.helpers import auth, wait_for

WORKER = auth("worker")


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers=auth("viewer"))  # any key may scrape
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_while_a_plan_runs(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401  # keys are always on
    kind = f"metered-{new_id()[-8:]}"
    before = _scrape(client)
    spec = {"name": "metered", "steps": [{"key": f"S{i}", "kind": kind} for i in range(3)]}
    created = client.post("/v1/plans?start=true", json=spec, headers=auth("coordinator"))
    plan_id = created.json()["id"]
    during = _scrape(client)
    assert _value(during, "graphsvc_ready_steps", kind=kind) == 3
    assert _value(during, "graphsvc_step_transitions_total", to_status="READY", kind=kind) == (
        _value(before, "graphsvc_step_transitions_total", to_status="READY", kind=kind) + 3
    )
    body = {"agent_id": "worker-user", "kinds": [kind], "max_steps": 3, "plan_ids": [plan_id]}
    steps = client.post("/v1/steps/claim", json=body, headers=WORKER).json()["steps"]
    for step in steps:
        done = client.post(
            f"/v1/steps/{step['id']}/complete",
            json={"lease_token": step["lease_token"]},
            headers=WORKER,
        )
        assert done.status_code == 200, done.text
    after = _scrape(client)
    assert _value(after, "graphsvc_ready_steps", kind=kind) == 0
    for status in ("ASSIGNED", "COMPLETED"):
        assert _value(after, "graphsvc_step_transitions_total", to_status=status, kind=kind) == 3
    finished = "graphsvc_plans_finished_total"
    assert (
        _value(after, finished, status="COMPLETED")
        >= _value(before, finished, status="COMPLETED") + 1
    )
    claims = "graphsvc_claim_duration_seconds_count"
    assert _value(after, claims) >= _value(before, claims) + 1
    counted = "graphsvc_claims_total"
    assert _value(after, counted, result="steps") >= _value(before, counted, result="steps") + 1
    nothing = client.post("/v1/steps/claim", json=body, headers=WORKER).json()["steps"]
    assert nothing == []  # all three are done: an empty claim, counted as one
    assert _value(_scrape(client), counted, result="empty") >= (
        _value(after, counted, result="empty") + 1
    )
    requests = "http_requests_total"
    assert _value(after, requests, handler="/v1/steps/claim", method="POST", status="200") >= 1
    # The sweeper's last success is a recent Unix time once it has run.
    wait_for(
        lambda: (
            time.time() - _value(_scrape(client), "graphsvc_sweeper_last_success_timestamp_seconds")
            < 60
        ),
        timeout=30,
        what="a sweeper pass",
    )

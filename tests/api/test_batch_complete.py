"""Batch completion (``POST /v1/steps/complete``): many results in one transaction, each
judged alone, and the next steps claimed in the same transaction; against a real Neo4j."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from graphsvc.store import Database
from graphsvc.worker import ApiClient, ExecutorConfig, Worker
from tests.helpers import KEYS, auth, plan_transitions

# These tests act as many agents: an admin key may (a worker key is bound to one agent).
WORKER = auth("admin")


def _start(client: TestClient, steps: list[dict[str, Any]], cap: str) -> str:
    """A started plan whose steps need capability ``cap`` (so only this test claims them)."""
    for step in steps:
        step.setdefault("kind", "noop")
        step["requires_capabilities"] = [cap]
    answer = client.post(
        "/v1/plans?start=true", json={"name": "batch", "steps": steps}, headers=auth("coordinator")
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _claim_body(cap: str, max_steps: int) -> dict[str, Any]:
    return {"agent_id": f"batcher-{cap}", "capabilities": [cap], "max_steps": max_steps}


def _claim(client: TestClient, cap: str, max_steps: int = 10) -> list[dict[str, Any]]:
    answer = client.post("/v1/steps/claim", json=_claim_body(cap, max_steps), headers=WORKER)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["steps"])


def _result(step: dict[str, Any], **outputs: Any) -> dict[str, Any]:
    return {"step_id": step["id"], "lease_token": step["lease_token"], "outputs": outputs}


def test_batch_completes_and_claims_what_it_made_ready(client: TestClient, db: Database) -> None:
    cap = new_id()
    plan_id = _start(
        client, [{"key": "A"}, {"key": "C"}, {"key": "B", "depends_on": ["A", "C"]}], cap
    )
    first = _claim(client, cap)
    assert sorted(s["key"] for s in first) == ["A", "C"]
    body = {"results": [_result(s, n=s["key"]) for s in first], "claim": _claim_body(cap, 10)}
    answer = client.post("/v1/steps/complete", json=body, headers=WORKER)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["COMPLETED", "COMPLETED"]
    [b] = answer.json()["steps"]  # B became READY in this transaction and was claimed in it
    assert b["key"] == "B"
    assert sorted(w["outputs"]["n"] for w in b["prior_work"]) == ["A", "C"]
    done = client.post("/v1/steps/complete", json={"results": [_result(b)]}, headers=WORKER)
    assert done.json()["results"][0]["status"] == "COMPLETED" and done.json()["steps"] == []
    plan = client.get(f"/v1/plans/{plan_id}", headers=WORKER).json()
    assert plan["status"] == "COMPLETED"
    story = plan_transitions(db, plan_id)
    assert story.count(("STEP_COMPLETED", "A")) == 1 and story.count(("STEP_CLAIMED", "B")) == 1
    assert story[-1] == ("PLAN_COMPLETED", None)


def test_each_result_is_judged_alone_and_a_repeat_writes_nothing(
    client: TestClient, db: Database
) -> None:
    cap = new_id()
    plan_id = _start(client, [{"key": "A"}, {"key": "B"}], cap)
    a, b = sorted(_claim(client, cap), key=lambda s: str(s["key"]))
    stale = {**_result(b), "lease_token": "not-the-token"}
    missing = {"step_id": "no-such-step", "lease_token": "x"}
    body = {"results": [_result(a, x=1), stale, missing]}
    answer = client.post("/v1/steps/complete", json=body, headers=WORKER)
    assert answer.status_code == 200, answer.text
    ok, refused, unknown = answer.json()["results"]
    assert ok == {"step_id": a["id"], "status": "COMPLETED", "error": None}
    assert refused["status"] == "ASSIGNED" and refused["error"]["code"] == 409
    assert "stale or wrong lease token" in refused["error"]["message"]
    assert unknown["status"] is None and unknown["error"]["code"] == 404
    events = plan_transitions(db, plan_id)
    # The same batch again: A answers as before and nothing is written twice.
    again = client.post("/v1/steps/complete", json=body, headers=WORKER).json()["results"]
    assert again[0] == ok and again[1]["error"]["code"] == 409
    assert plan_transitions(db, plan_id) == events
    # A's result with another body is a conflict, reported for that item alone.
    changed = client.post(
        "/v1/steps/complete", json={"results": [_result(a, x=2), _result(b)]}, headers=WORKER
    ).json()["results"]
    assert changed[0]["error"]["code"] == 409 and changed[1]["status"] == "COMPLETED"
    assert client.get(f"/v1/plans/{plan_id}", headers=WORKER).json()["status"] == "COMPLETED"


def test_a_step_given_twice_is_422_and_changes_nothing(client: TestClient, db: Database) -> None:
    cap = new_id()
    plan_id = _start(client, [{"key": "A"}], cap)
    [a] = _claim(client, cap)
    events = plan_transitions(db, plan_id)
    body = {"results": [_result(a), _result(a)]}
    answer = client.post("/v1/steps/complete", json=body, headers=WORKER)
    assert answer.status_code == 422 and "more than once" in answer.text
    empty = client.post("/v1/steps/complete", json={"results": []}, headers=WORKER)
    assert empty.status_code == 422
    assert plan_transitions(db, plan_id) == events
    step = client.get(f"/v1/steps/{a['id']}", headers=WORKER).json()
    assert step["step"]["status"] == "ASSIGNED"


def test_batching_workers_race_over_a_star_and_run_each_step_once(
    live_api: str, db: Database
) -> None:
    """Three batching workers (4 slots each) complete-and-claim against each other."""
    cap = new_id()
    steps: list[dict[str, Any]] = [{"key": "ROOT", "kind": "noop", "requires_capabilities": [cap]}]
    steps += [
        {"key": f"S{i}", "kind": "noop", "depends_on": ["ROOT"], "requires_capabilities": [cap]}
        for i in range(600)
    ]
    steps.append(
        {
            "key": "END",
            "kind": "noop",
            "depends_on": [f"S{i}" for i in range(600)],
            "requires_capabilities": [cap],
        }
    )
    coordinator = ApiClient(live_api, KEYS["coordinator"])
    plan_id = coordinator.call("POST", "/v1/plans", json={"name": "star", "steps": steps})["id"]
    workers = [
        Worker(
            ApiClient(live_api, KEYS["admin"]),  # three agents: an admin key may act as any
            ExecutorConfig(),
            slots=4,
            capabilities=[cap],
            wait_seconds=0.2,
            batch=25,
        )
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    try:
        coordinator.call("POST", f"/v1/plans/{plan_id}/start")
        for _ in range(600):
            plan = coordinator.call("GET", f"/v1/plans/{plan_id}")
            if plan["status"] != "EXECUTING":
                break
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.stop()
    assert plan["status"] == "COMPLETED"
    counts = db.read(
        lambda tx: tx.run(
            "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s:ExecutionStep) "
            "RETURN s.status AS status, "
            "COUNT { (:EventBatch)-[:RECORDS {type: 'STEP_CLAIMED'}]->(s) } AS claims, "
            "COUNT { (:Agent)-[:EXECUTES]->(s) } AS executors",
            id=plan_id,
        ).data()
    )
    assert len(counts) == 602
    assert {(c["status"], c["claims"], c["executors"]) for c in counts} == {("COMPLETED", 1, 1)}
    used = {w.agent_id for w in workers}
    executed_by = db.read(
        lambda tx: tx.run(
            "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s)<-[:EXECUTES]-(a:Agent) "
            "RETURN collect(DISTINCT a.id) AS agents",
            id=plan_id,
        ).single(strict=True)["agents"]
    )
    assert set(executed_by) <= used

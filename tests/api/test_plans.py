"""Submitting and reading plans over the REST API, against a real Neo4j."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi.testclient import TestClient

from graphsvc.store import Database
from tests.domain.test_compiler import EIGHT
from tests.helpers import auth


def _graph(db: Database, plan_id: str) -> dict[str, Any]:
    """The stored shape of a plan: steps by key with kind, body and dependency keys."""
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (:ExecutionPlan {id: $id})-[r:CONTAINS_STEP]->(s:ExecutionStep) "
            "RETURN r.order AS order, s.step_number AS n, s.key AS key, s.kind AS kind, "
            "s.description AS body, s.status AS status, "
            "[(s)-[:DEPENDS_ON]->(d) | d.key] AS deps ORDER BY r.order",
            id=plan_id,
        ).data()
    )
    return {
        r["key"]: (r["order"], r["n"], r["kind"], r["body"], r["status"], sorted(r["deps"]))
        for r in rows
    }


def _node_count(db: Database) -> int:
    return int(db.read(lambda tx: tx.run("MATCH (n) RETURN count(n) AS n").single()["n"]))


def test_ticket_json_and_yaml_store_the_same_graph(client: TestClient, db: Database) -> None:
    created = client.post(
        "/v1/plans/tickets",
        content=EIGHT,
        headers={**auth("coordinator"), "Content-Type": "text/markdown"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "DRAFT" and body["step_count"] == 8
    from_tickets = _graph(db, body["id"])
    assert from_tickets["L3-REPORT"][5] == ["L2-DATA", "L2-UX"]
    assert from_tickets["L1-SCHEMA"][:3] == (1, 1, "command")
    assert all(v[4] == "PENDING" for v in from_tickets.values())

    plan = client.get(f"/v1/plans/{body['id']}", headers=auth("viewer")).json()
    spec = {
        "name": plan["name"],
        "description": plan["description"],
        "steps": [
            {
                "key": s["key"],
                "name": s["name"],
                "kind": s["kind"],
                "description": s["description"],
                "depends_on": s["depends_on"],
                **({"validate": s["validate_command"]} if s["validate_command"] else {}),
            }
            for s in plan["steps"]
        ],
    }
    as_json = client.post("/v1/plans", json=spec, headers=auth("coordinator"))
    as_yaml = client.post(
        "/v1/plans", json=yaml.safe_load(yaml.safe_dump(spec)), headers=auth("coordinator")
    )
    assert as_json.status_code == as_yaml.status_code == 201
    assert _graph(db, as_json.json()["id"]) == from_tickets
    assert _graph(db, as_yaml.json()["id"]) == from_tickets


def test_invalid_plans_list_every_problem_and_write_nothing(
    client: TestClient, db: Database
) -> None:
    before = _node_count(db)
    bad = (
        "# P\n---\n# A: x [agent]\nblocked_by: [B]\na\n---\n# B: y [agent]\nblocked_by: [A]\nb\n"
        "---\n# C: z [prog]\n"
    )
    response = client.post("/v1/plans/tickets", content=bad, headers=auth("coordinator"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    messages = [f"{p['location']}: {p['message']}" for p in error["details"]["problems"]]
    assert "ticket A (line 3): dependency cycle: A -> B -> A" in messages
    assert any(m.startswith("ticket C (line 11): empty body") for m in messages)

    response = client.post(
        "/v1/plans",
        json={"name": "x", "analysis_id": "missing", "steps": [{"key": "A", "kind": "noop"}]},
        headers=auth("coordinator"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["location"] == "analysis_id"
    response = client.post(
        "/v1/plans", json={"name": "x", "steps": []}, headers=auth("coordinator")
    )
    assert response.status_code == 422
    assert _node_count(db) == before


def test_roles_and_keys(client: TestClient) -> None:
    spec = {"name": "x", "steps": [{"key": "A", "kind": "noop"}]}
    assert client.post("/v1/plans", json=spec, headers=auth("viewer")).status_code == 403
    assert client.post("/v1/plans", json=spec, headers=auth("worker")).status_code == 403
    missing = client.post("/v1/plans", json=spec)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthenticated"
    wrong = client.get("/v1/plans", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get("/v1/plans", headers=auth("viewer")).status_code == 200


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path in ("/v1/plans/nope", "/v1/steps/nope", "/v1/plans/nope/ready"):
        response = client.get(path, headers=auth("viewer"))
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_plan_view_list_ready_and_step(client: TestClient) -> None:
    created = client.post("/v1/plans/tickets", content=EIGHT, headers=auth("coordinator")).json()
    plan = client.get(f"/v1/plans/{created['id']}", headers=auth("viewer")).json()
    assert plan["progress"] == {
        "total": 8,
        "terminal": 0,
        "percent": 0.0,
        "by_status": {"PENDING": 8},
    }
    ready = client.get(f"/v1/plans/{created['id']}/ready", headers=auth("viewer")).json()
    assert [r["key"] for r in ready] == ["L1-SCHEMA", "L1-API", "L1-CLI", "L1-TESTS"]
    listed = client.get("/v1/plans?status=DRAFT&limit=1000", headers=auth("viewer")).json()
    assert created["id"] in [p["id"] for p in listed]
    step_id = created["step_ids"]["L2-DATA"]
    step = client.get(f"/v1/steps/{step_id}", headers=auth("viewer")).json()
    assert step["plan_id"] == created["id"]
    assert sorted(d["key"] for d in step["dependencies"]) == ["L1-API", "L1-SCHEMA"]
    assert [d["key"] for d in step["dependents"]] == ["L3-REPORT"]


def test_ten_thousand_step_layered_plan_is_ingested(client: TestClient, db: Database) -> None:
    width = 1000
    steps = []
    for layer in range(10):
        for i in range(width):
            deps = [] if layer == 0 else [f"L{layer - 1}-{i}", f"L{layer - 1}-{(i + 1) % width}"]
            steps.append({"key": f"L{layer}-{i}", "kind": "noop", "depends_on": deps})
    response = client.post(
        "/v1/plans",
        content=json.dumps({"name": "layered", "steps": steps}),
        headers={**auth("coordinator"), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text[:500]
    plan_id = response.json()["id"]
    counts = db.read(
        lambda tx: (
            tx.run(
                "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) "
                "RETURN count(s) AS steps, sum(COUNT { (s)-[:DEPENDS_ON]->() }) AS edges",
                id=plan_id,
            )
            .single()
            .data()
        )
    )
    assert counts == {"steps": 10_000, "edges": 9 * width * 2}

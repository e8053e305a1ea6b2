"""Replan (issue 21): a live plan is replaced by its next version; COMPLETED steps that are
unchanged are carried over with their outputs; the old plan is SUPERSEDED; a child
plan's new version takes its place under the step that spawned it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graphsvc.domain import parse_spec
from graphsvc.engine import children, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, plans
from tests.helpers import auth

COORD = auth("coordinator")


def _step(key: str, kind: str, text: str = "do it", *deps: str) -> dict[str, Any]:
    return {"key": key, "kind": kind, "description": text, "depends_on": list(deps)}


def test_a_running_plan_is_replaced_and_keeps_what_is_done(
    client: TestClient, db: Database
) -> None:
    kind = f"replan-{new_id()[-8:]}"
    spec = {
        "name": "v1",
        "steps": [_step("A", kind), _step("B", kind, "b", "A"), _step("C", kind, "c", "B")],
    }
    old = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    [a] = work.claim(db, "agent", [kind], [])
    work.complete(db, a["id"], a["lease_token"], {"answer": 42}, {"k": "v"})
    [b] = work.claim(db, "agent", [kind], [])  # B runs when the plan is replaced
    new_spec = {
        "name": "v2",
        "steps": [
            _step("A", kind),
            _step("B", kind, "b, better", "A"),
            _step("C", kind, "c", "B"),
            _step("D", kind, "new", "A"),
        ],
    }
    refused = client.post(
        f"/v1/plans/{old['id']}/replan", json={"spec": new_spec}, headers=auth("worker")
    )
    assert refused.status_code == 403
    both = {"spec": new_spec, "tickets": "# T\n---\n# A: a [noop]\n"}
    assert client.post(f"/v1/plans/{old['id']}/replan", json=both, headers=COORD).status_code == 422
    answer = client.post(
        f"/v1/plans/{old['id']}/replan",
        json={"spec": new_spec, "reason": "B needs more care"},
        headers=COORD,
    )
    assert answer.status_code == 201, answer.text
    new = answer.json()
    assert new["supersedes"] == old["id"] and new["carried_over"] == ["A"]
    assert new["status"] == "EXECUTING"

    gone = plans.get_plan(db, old["id"])
    assert gone.status.value == "SUPERSEDED" and gone.superseded_by == new["id"]
    assert {s.key: s.status.value for s in gone.steps} == {
        "A": "COMPLETED",
        "B": "CANCELLED",
        "C": "CANCELLED",
    }
    now = plans.get_plan(db, new["id"])
    steps = {s.key: s for s in now.steps}
    assert now.supersedes == old["id"] and now.version == gone.version + 1
    assert steps["A"].status.value == "COMPLETED" and steps["A"].outputs == {"answer": 42}
    assert steps["A"].changeset == {"k": "v"}
    assert steps["B"].status.value == "READY" and steps["D"].status.value == "READY"
    assert steps["C"].status.value == "PENDING"
    # The old lease is gone; the audit of both plans names the replan and its reason.
    assert (
        client.post(
            f"/v1/steps/{b['id']}/complete",
            json={"lease_token": b["lease_token"]},
            headers=auth("admin"),
        ).status_code
        == 409
    )
    for plan_id in (old["id"], new["id"]):
        mods = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
        newest = mods[0]
        assert (newest["modification_type"], newest["reason"]) == (
            "REPLAN",
            "B needs more care",
        )
    carried = db.read(
        lambda tx: tx.run(
            "MATCH (n:ExecutionPlan {id: $new})-[:SUPERSEDES]->(o:ExecutionPlan {id: $old}) "
            "MATCH (n)-[:CONTAINS_STEP]->(s)-[:CARRIED_OVER_FROM]->(f)<-[:CONTAINS_STEP]-(o) "
            "RETURN s.key AS key",
            new=new["id"],
            old=old["id"],
        ).data()
    )
    assert carried == [{"key": "A"}]
    listed = {p["id"] for p in client.get("/v1/plans?limit=500", headers=COORD).json()}
    assert new["id"] in listed and old["id"] not in listed
    again = client.post(f"/v1/plans/{old['id']}/replan", json={"spec": new_spec}, headers=COORD)
    assert again.status_code == 409


def test_a_child_plans_new_version_takes_its_place(client: TestClient, db: Database) -> None:
    kind = f"replan-child-{new_id()[-8:]}"
    root = create_plan(db, parse_spec({"name": "root", "steps": [_step("S", kind)]})).id
    lifecycle.transition_plan(db, root, "start")
    [spawner] = work.claim(db, "agent", [kind], [])
    child_spec = parse_spec({"name": "child v1", "steps": [_step("K", kind, "first")]})
    [child] = children.spawn(db, spawner["id"], spawner["lease_token"], [child_spec])
    new_child = {"name": "child v2", "steps": [_step("K", kind, "second")]}
    answer = client.post(
        f"/v1/plans/{child}/replan", json={"spec": new_child, "reason": "redo"}, headers=COORD
    )
    assert answer.status_code == 201, answer.text
    replacement = answer.json()["id"]
    assert answer.json()["status"] == "EXECUTING"
    assert plans.get_plan(db, replacement).parent_step_id == spawner["id"]
    [k] = work.claim(db, "agent", [kind], [])
    assert k["plan_id"] == replacement and k["description"] == "second"
    work.complete(db, k["id"], k["lease_token"], {"done": True}, {})
    done = plans.get_plan(db, root)
    assert done.status.value == "COMPLETED"
    assert done.steps[0].outputs is not None
    assert done.steps[0].outputs["child_plan_ids"] == [replacement]


def test_a_paused_child_plans_version_runs_and_a_version_may_need_approval(
    client: TestClient, db: Database
) -> None:
    kind = f"replan-paused-{new_id()[-8:]}"
    root = create_plan(db, parse_spec({"name": "root", "steps": [_step("S", kind)]})).id
    lifecycle.transition_plan(db, root, "start")
    [spawner] = work.claim(db, "agent", [kind], [])
    child_spec = parse_spec({"name": "child", "steps": [_step("K", kind)]})
    [child] = children.spawn(db, spawner["id"], spawner["lease_token"], [child_spec])
    lifecycle.transition_plan(db, child, "pause")
    needs = {"name": "child v2", "requires_approval": True, "steps": [_step("K", kind)]}
    refused = client.post(f"/v1/plans/{child}/replan", json={"spec": needs}, headers=COORD)
    assert refused.status_code == 422 and "requires_approval" in refused.text
    v2 = {"name": "child v2", "steps": [_step("K", kind, "again")]}
    answer = client.post(f"/v1/plans/{child}/replan", json={"spec": v2}, headers=COORD)
    assert answer.status_code == 201 and answer.json()["status"] == "EXECUTING", answer.text

    other = client.post(
        "/v1/plans?start=true", json={"name": "r", "steps": [_step("A", kind)]}, headers=COORD
    ).json()
    guarded = {"name": "r v2", "requires_approval": True, "steps": [_step("A", kind)]}
    done = client.post(f"/v1/plans/{other['id']}/replan", json={"spec": guarded}, headers=COORD)
    assert done.status_code == 201 and done.json()["status"] == "DRAFT", done.text
    pending = client.get("/v1/decisions?status=PENDING&limit=1000", headers=COORD).json()
    assert any(d["plan_id"] == done.json()["id"] and d["type"] == "EXECUTE" for d in pending)

"""Changes that need approval (issue 21): a plan created with
``modifications_require_approval`` records each change as REQUESTED with a PENDING
MODIFY_PLAN decision (202, nothing applied); approving applies it in the same
transaction (APPLIED, APPROVES_MODIFICATION), or REJECTS it with the reason when it no
longer applies; rejecting marks it REJECTED."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graphsvc.engine import work
from graphsvc.ids import new_id
from graphsvc.store import Database, plans
from tests.helpers import auth

COORD = auth("coordinator")


def _human(key: str, cap: str, *deps: str) -> dict[str, Any]:
    return {
        "key": key,
        "kind": "task",
        "description": key,
        "requires_capabilities": [cap],
        "depends_on": list(deps),
    }


def _requested(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "REQUESTED"
    return body


def _decide(client: TestClient, decision_id: str, verdict: str) -> Any:
    return client.post(
        f"/v1/decisions/{decision_id}/{verdict}",
        json={"user_id": "boss", "comment": "ok"},
        headers=COORD,
    )


def test_a_change_waits_for_approval_and_is_applied_when_approved(
    client: TestClient, db: Database
) -> None:
    cap = f"cap-{new_id()}"
    spec = {
        "name": "guarded",
        "modifications_require_approval": True,
        "steps": [_human("A", cap), _human("B", cap, "A")],
    }
    created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    plan_id, ids = created["id"], created["step_ids"]
    version = plans.get_plan(db, plan_id).version

    asked = _requested(
        client.post(f"/v1/steps/{ids['B']}/cancel", json={"reason": "not needed"}, headers=COORD)
    )
    plan = plans.get_plan(db, plan_id)
    assert {s.key: s.status.value for s in plan.steps}["B"] == "PENDING"
    assert plan.version == version  # nothing applied
    waiting = client.get(f"/v1/plans/{plan_id}/modifications?status=REQUESTED", headers=COORD)
    [pending] = waiting.json()
    assert pending["id"] == asked["modification_id"]
    assert pending["decision_id"] == asked["decision_id"]
    assert pending["modification_type"] == "CANCEL_STEP" and pending["step_key"] == "B"
    decisions = client.get("/v1/decisions?status=PENDING&limit=1000", headers=COORD).json()
    assert any(d["id"] == asked["decision_id"] and d["type"] == "MODIFY_PLAN" for d in decisions)

    approved = _decide(client, asked["decision_id"], "approve")
    assert approved.status_code == 200, approved.text
    plan = plans.get_plan(db, plan_id)
    assert {s.key: s.status.value for s in plan.steps}["B"] == "CANCELLED"
    [applied] = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
    assert applied["id"] == asked["modification_id"] and applied["status"] == "APPLIED"
    assert applied["reason"] == "not needed"
    assert applied["requested_by"]["id"] == "coordinator-user"
    assert [a["id"] for a in applied["approved_by"]] == ["boss"]
    assert _decide(client, asked["decision_id"], "approve").status_code == 409

    # Rejected: nothing is applied.
    added = _requested(
        client.post(f"/v1/plans/{plan_id}/steps", json={"step": _human("C", cap)}, headers=COORD)
    )
    assert _decide(client, added["decision_id"], "reject").status_code == 200
    assert "C" not in {s.key for s in plans.get_plan(db, plan_id).steps}
    rejected = client.get(f"/v1/plans/{plan_id}/modifications?status=REJECTED", headers=COORD)
    assert [m["id"] for m in rejected.json()] == [added["modification_id"]]

    # Approved too late: A started meanwhile, so the edit no longer applies.
    edit = _requested(
        client.patch(f"/v1/steps/{ids['A']}", json={"description": "better"}, headers=COORD)
    )
    [a] = work.claim(db, "agent", ["task"], [cap], plan_ids=[plan_id])
    late = _decide(client, edit["decision_id"], "approve")
    assert late.status_code == 200 and late.json()["status"] == "APPROVED"
    [stale] = client.get(
        f"/v1/plans/{plan_id}/modifications?status=REJECTED", headers=COORD
    ).json()[:1]
    assert stale["id"] == edit["modification_id"]
    assert stale["rejection_reason"].startswith("it no longer applies:")
    assert next(s for s in plans.get_plan(db, plan_id).steps if s.key == "A").description == "A"
    work.complete(db, a["id"], a["lease_token"], {}, {})


def test_a_second_request_about_a_removed_step_is_rejected_when_approved(
    client: TestClient, db: Database
) -> None:
    cap = f"cap-{new_id()}"
    spec = {
        "name": "twice",
        "modifications_require_approval": True,
        "steps": [_human("A", cap), _human("B", cap)],
    }
    created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    b = created["step_ids"]["B"]
    first = _requested(client.delete(f"/v1/steps/{b}", headers=COORD))
    second = _requested(client.delete(f"/v1/steps/{b}", headers=COORD))
    assert _decide(client, first["decision_id"], "approve").status_code == 200
    late = _decide(client, second["decision_id"], "approve")
    assert late.status_code == 200, late.text
    mods = client.get(f"/v1/plans/{created['id']}/modifications", headers=COORD).json()
    by_id = {m["id"]: m for m in mods}
    assert len(mods) == 2  # one row per modification
    assert by_id[first["modification_id"]]["status"] == "APPLIED"
    assert by_id[second["modification_id"]]["status"] == "REJECTED"


def test_a_replan_of_a_guarded_plan_waits_for_approval(client: TestClient, db: Database) -> None:
    cap = f"cap-{new_id()}"
    spec = {"name": "v1", "modifications_require_approval": True, "steps": [_human("A", cap)]}
    created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    v2 = {"name": "v2", "steps": [_human("A", cap), _human("B", cap)]}
    asked = _requested(
        client.post(f"/v1/plans/{created['id']}/replan", json={"spec": v2}, headers=COORD)
    )
    assert plans.get_plan(db, created["id"]).status.value == "EXECUTING"
    assert _decide(client, asked["decision_id"], "approve").status_code == 200
    old = plans.get_plan(db, created["id"])
    assert old.status.value == "SUPERSEDED" and old.superseded_by is not None
    assert plans.get_plan(db, old.superseded_by).status.value == "EXECUTING"
    [applied] = [
        m
        for m in client.get(f"/v1/plans/{created['id']}/modifications", headers=COORD).json()
        if m["id"] == asked["modification_id"]
    ]
    assert applied["status"] == "APPLIED" and applied["modification_type"] == "REPLAN"


def test_a_plan_that_ends_closes_the_changes_still_waiting_for_approval(
    client: TestClient, db: Database
) -> None:
    """Issue 31, item 5: cancelling the plan (and, by a completion, finishing it) rejects
    the changes it still waited on, with the plan's end as the reason; deciding one
    later is a 409, not a 200 that rejects it. Approval needs no user_id: the key's
    principal decides."""
    cap = f"cap-{new_id()}"
    for end in ("cancel", "complete"):
        spec = {
            "name": f"ends-{end}",
            "modifications_require_approval": True,
            "steps": [_human("A", cap)],
        }
        created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
        plan_id, ids = created["id"], created["step_ids"]
        asked = _requested(
            client.post(
                f"/v1/plans/{plan_id}/steps",
                json={"step": {"key": "LATE", "kind": "noop"}, "reason": "late idea"},
                headers=COORD,
            )
        )
        if end == "cancel":
            answer = client.post(f"/v1/plans/{plan_id}/cancel", json={}, headers=COORD)
            assert answer.status_code == 200, answer.text
        else:
            [step] = work.claim(db, "ender", ["task"], [cap], plan_ids=[plan_id])
            assert step["id"] == ids["A"]
            work.complete(db, step["id"], step["lease_token"], {}, {})
        listed = client.get(
            "/v1/decisions", params={"plan_id": plan_id, "type": "MODIFY_PLAN"}, headers=COORD
        ).json()
        [decision] = [d for d in listed if d["id"] == asked["decision_id"]]
        assert decision["status"] == "REJECTED", decision
        assert "the plan ended" in (decision["comment"] or "")
        mods = client.get(f"/v1/plans/{plan_id}/modifications", headers=COORD).json()
        [mod] = [m for m in mods if m["id"] == asked["modification_id"]]
        assert mod["status"] == "REJECTED"
        late = client.post(f"/v1/decisions/{asked['decision_id']}/approve", json={}, headers=COORD)
        assert late.status_code == 409, late.text

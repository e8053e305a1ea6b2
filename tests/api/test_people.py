"""People in the loop and the audit trail over the REST API, against a real Neo4j:
conversations, approval gates, human input, decisions, agents and capabilities,
communications, execution contexts, and the audit chain."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from graphsvc.store import Database
from graphsvc.store.agents import mark_inactive
from tests.helpers import auth

COORD = auth("coordinator")
# These tests act as many agents: an admin key may (a worker key is bound to one agent).
WORKER = auth("admin")


def _post(
    client: TestClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] = COORD,
    status: int = 201,
) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def _steps(client: TestClient, plan_id: str) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in client.get(f"/v1/plans/{plan_id}", headers=COORD).json()["steps"]}


def _pending_for(client: TestClient, plan_id: str) -> list[dict[str, Any]]:
    pending = client.get("/v1/decisions?status=PENDING&limit=1000", headers=COORD).json()
    return [d for d in pending if d["plan_id"] == plan_id]


def test_from_a_message_to_an_approved_plan_with_gates_and_its_audit(client: TestClient) -> None:
    user = f"user-{new_id()}"
    cap = f"cap-{new_id()}"
    message = _post(
        client, "/v1/messages", {"user_id": user, "user_name": "Lin", "content": "Ship release 2.1"}
    )
    first = _post(
        client,
        "/v1/analyses",
        {"message_id": message["id"], "intent": "release", "category": "ops", "confidence": 60},
    )
    analysis = _post(
        client,
        "/v1/analyses",
        {
            "message_id": message["id"],
            "intent": "release",
            "category": "ops",
            "confidence": 90,
            "reasoning": "a clear request",
            "replaces": first["id"],
        },
    )
    spec = {
        "name": "release 2.1",
        "analysis_id": analysis["id"],
        "requires_approval": True,
        "steps": [
            {"key": "SIGNOFF", "kind": "approval", "description": "Lead signs off"},
            {
                "key": "NOTES",
                "kind": "human_input",
                "description": "Write the notes",
                "depends_on": ["SIGNOFF"],
            },
            {
                "key": "SHIP",
                "kind": "noop",
                "depends_on": ["NOTES"],
                "requires_capabilities": [cap],
            },
        ],
    }
    plan_id = _post(client, "/v1/plans", spec)["id"]
    assert client.post(f"/v1/plans/{plan_id}/start", headers=COORD).status_code == 409
    [gate] = _pending_for(client, plan_id)
    assert gate["type"] == "EXECUTE" and gate["step_id"] is None

    approved = _post(
        client,
        f"/v1/decisions/{gate['id']}/approve",
        {"user_id": user, "comment": "go", "start": True},
        status=200,
    )
    assert approved["status"] == "APPROVED" and approved["decided_by"] == user
    again = client.post(
        f"/v1/decisions/{gate['id']}/approve", json={"user_id": user}, headers=COORD
    )
    assert again.status_code == 409
    plan = client.get(f"/v1/plans/{plan_id}", headers=COORD).json()
    assert plan["status"] == "EXECUTING"

    # The approval step waits (no lease, nothing to claim) on its own pending decision.
    steps = _steps(client, plan_id)
    assert steps["SIGNOFF"]["status"] == "WAITING"
    [signoff] = _pending_for(client, plan_id)
    assert signoff["type"] == "APPROVAL" and signoff["step_id"] == steps["SIGNOFF"]["id"]
    _post(
        client,
        f"/v1/decisions/{signoff['id']}/approve",
        {"user_id": user, "comment": "looks right"},
        status=200,
    )
    steps = _steps(client, plan_id)
    assert steps["SIGNOFF"]["status"] == "COMPLETED"
    assert steps["NOTES"]["status"] == "WAITING"
    early = client.post(
        f"/v1/steps/{steps['SHIP']['id']}/input", json={"text": "x", "user_id": user}, headers=COORD
    )
    assert early.status_code == 409
    _post(
        client,
        f"/v1/steps/{steps['NOTES']['id']}/input",
        {"text": "Faster builds.", "user_id": user},
        status=200,
    )
    steps = _steps(client, plan_id)
    assert steps["NOTES"]["outputs"] == {"text": "Faster builds.", "user_id": user}
    assert steps["SHIP"]["status"] == "READY"

    # SHIP needs a capability: only an agent registered with it gets it.
    agent = f"agent-{new_id()}"
    _post(client, "/v1/agents", {"id": agent, "capabilities": [cap]}, WORKER)
    _post(
        client,
        "/v1/plans/" + plan_id + "/contexts",
        {"environment": "STAGING", "variables": {"region": "eu"}},
    )
    nobody = _post(client, "/v1/steps/claim", {"agent_id": f"other-{new_id()}"}, WORKER, 200)
    assert all(s["plan_id"] != plan_id for s in nobody["steps"])
    [ship] = [
        s
        for s in _post(client, "/v1/steps/claim", {"agent_id": agent, "max_steps": 5}, WORKER, 200)[
            "steps"
        ]
        if s["plan_id"] == plan_id
    ]
    assert ship["context"]["environment"] == "STAGING"
    assert ship["context"]["variables"] == {"region": "eu"}
    workload = client.get(f"/v1/agents/{agent}/workload", headers=COORD).json()
    assert [s["key"] for s in workload["active_steps"]] == ["SHIP"]
    assert workload["capabilities"] == [cap]

    note = _post(
        client,
        "/v1/communications",
        {
            "from_agent_id": agent,
            "to_agent_id": agent,
            "message_type": "NOTIFICATION",
            "subject": "shipping now",
            "plan_id": plan_id,
        },
        WORKER,
    )
    _post(
        client,
        f"/v1/steps/{ship['id']}/complete",
        {"lease_token": ship["lease_token"]},
        WORKER,
        200,
    )
    assert client.get(f"/v1/plans/{plan_id}", headers=COORD).json()["status"] == "COMPLETED"
    workload = client.get(f"/v1/agents/{agent}/workload", headers=COORD).json()
    assert workload["active_steps"] == [] and workload["completed_count"] == 1

    trail = client.get(f"/v1/plans/{plan_id}/audit", headers=COORD).json()
    kinds = [row["kind"] for row in trail]
    assert kinds[:2] == ["MESSAGE", "ANALYSIS"]
    assert trail[0]["actor"] == user and trail[0]["summary"] == "Ship release 2.1"
    assert "confidence 90" in trail[1]["summary"]
    # Who recorded the analysis and each decision: the key's principal.
    assert trail[1]["actor"] == "coordinator-user"
    assert all(r["actor"] for r in trail if r["kind"] == "DECISION")
    assert kinds.count("APPROVES") == 2 and "COMMUNICATION" in kinds
    assert [t["time"] for t in trail] == sorted(t["time"] for t in trail)
    summaries = [row["summary"] for row in trail if row["kind"] == "EVENT"]
    assert any("SHIP" in s and "COMPLETED" in s for s in summaries)
    assert note["id"] in {row["subject_id"] for row in trail}
    first_page = {"plan_id": plan_id, "after_time": None, "after_kind": None, "after_id": None}
    rows = _post(
        client,
        "/v1/queries/get_audit_chain",
        {"parameters": {**first_page, "limit": 1000}},
        COORD,
        200,
    )["rows"]
    assert len(rows) == len(trail)
    superseded = _post(
        client,
        "/v1/queries/get_plan",
        {"parameters": {"plan_id": plan_id, "steps_after": 0, "limit": 1000}},
        COORD,
        200,
    )
    assert superseded["rows"]


def test_a_rejected_approval_step_fails_with_the_comment(client: TestClient) -> None:
    spec = {
        "name": f"gate {new_id()}",
        "steps": [
            {"key": "OK", "kind": "approval", "description": "approve?"},
            {"key": "NEXT", "kind": "noop", "depends_on": ["OK"]},
        ],
    }
    plan_id = _post(client, "/v1/plans?start=true", spec)["id"]
    [decision] = _pending_for(client, plan_id)
    rejected = _post(
        client,
        f"/v1/decisions/{decision['id']}/reject",
        {"user_id": "boss", "comment": "not this week"},
        status=200,
    )
    assert rejected["status"] == "REJECTED"
    steps = _steps(client, plan_id)
    assert steps["OK"]["status"] == "FAILED"
    assert steps["OK"]["error_message"] == "rejected by boss: not this week"
    assert steps["NEXT"]["status"] == "CANCELLED"
    assert client.get(f"/v1/plans/{plan_id}", headers=COORD).json()["status"] == "FAILED"


def test_a_rejected_plan_approval_cancels_the_plan(client: TestClient) -> None:
    spec = {
        "name": f"risky {new_id()}",
        "requires_approval": True,
        "steps": [{"key": "A", "kind": "noop"}],
    }
    plan_id = _post(client, "/v1/plans", spec)["id"]
    [decision] = _pending_for(client, plan_id)
    _post(client, f"/v1/decisions/{decision['id']}/reject", {"user_id": "boss"}, status=200)
    assert client.get(f"/v1/plans/{plan_id}", headers=COORD).json()["status"] == "CANCELLED"


def test_decisions_link_what_they_name_and_refuse_unknown_ids(
    client: TestClient, db: Database
) -> None:
    message = _post(client, "/v1/messages", {"user_id": "u1", "content": "what now?"})
    bad = client.post(
        "/v1/decisions",
        json={
            "type": "CLARIFY",
            "action": "ask",
            "message_id": message["id"],
            "plan_id": "no-such-plan",
            "escalate_to": "nobody-" + new_id(),
        },
        headers=COORD,
    )
    assert bad.status_code == 422
    problems = {p["location"] for p in bad.json()["error"]["details"]["problems"]}
    assert problems == {"plan_id", "escalate_to"}
    ok = _post(
        client,
        "/v1/decisions",
        {
            "type": "ESCALATE",
            "action": "ask a human",
            "message_id": message["id"],
            "escalate_to": "u1",
            "confidence": 40,
            "requires_approval": True,
        },
    )
    links = db.read(
        lambda tx: (
            tx.run(
                "MATCH (d:Decision {id: $id}) RETURN [(d)-[:DECIDES_ON]->(m) | m.id] AS on, "
                "[(d)-[:ESCALATES_TO]->(u) | u.id] AS to",
                id=ok["id"],
            )
            .single(strict=True)
            .data()
        )
    )
    assert links == {"on": [message["id"]], "to": ["u1"]}
    viewer = client.post(
        "/v1/decisions", json={"type": "CLARIFY", "action": "x"}, headers=auth("viewer")
    )
    assert viewer.status_code == 403


def test_communications_thread_and_statuses(client: TestClient) -> None:
    a, b = f"a-{new_id()}", f"b-{new_id()}"
    for agent in (a, b):
        _post(client, "/v1/agents", {"id": agent}, WORKER)
    ask = _post(
        client,
        "/v1/communications",
        {
            "from_agent_id": a,
            "to_agent_id": b,
            "message_type": "REQUEST",
            "subject": "need data",
            "requires_action": True,
        },
        WORKER,
    )
    _post(client, f"/v1/communications/{ask['id']}/status", {"status": "RECEIVED"}, WORKER, 200)
    back = client.post(
        f"/v1/communications/{ask['id']}/status", json={"status": "RECEIVED"}, headers=WORKER
    )
    assert back.status_code == 409
    reply = _post(
        client,
        "/v1/communications",
        {
            "from_agent_id": b,
            "to_agent_id": a,
            "message_type": "RESPONSE",
            "subject": "here it is",
            "responds_to": ask["id"],
        },
        WORKER,
    )
    thread = _post(
        client,
        "/v1/queries/get_communication_thread",
        {"parameters": {"communication_id": reply["id"]}},
        COORD,
        200,
    )["rows"]
    assert [(r["id"], r["status"]) for r in thread] == [
        (ask["id"], "RESPONDED"),
        (reply["id"], "SENT"),
    ]
    assert thread[1]["responds_to"] == ask["id"] and thread[0]["from_agent"] == a
    unknown = client.post(
        "/v1/communications",
        json={
            "from_agent_id": a,
            "to_agent_id": "ghost-" + new_id(),
            "message_type": "REQUEST",
            "subject": "x",
        },
        headers=WORKER,
    )
    assert unknown.status_code == 422


def test_unseen_agents_become_inactive_and_a_claim_revives_them(
    client: TestClient, db: Database
) -> None:
    agent = f"idle-{new_id()}"
    _post(client, "/v1/agents", {"id": agent, "capabilities": ["x"]}, WORKER)
    assert mark_inactive(db, 0) >= 1
    assert (
        client.get(f"/v1/agents/{agent}/workload", headers=COORD).json()["agent"]["status"]
        == "INACTIVE"
    )
    _post(client, "/v1/steps/claim", {"agent_id": agent, "kinds": ["approval"]}, WORKER, 200)
    assert (
        client.get(f"/v1/agents/{agent}/workload", headers=COORD).json()["agent"]["status"]
        == "ACTIVE"
    )


def _decisions_of(client: TestClient, plan_id: str) -> list[dict[str, Any]]:
    every = client.get("/v1/decisions?limit=1000", headers=COORD).json()
    return [d for d in every if d["plan_id"] == plan_id]


def test_waiting_steps_fail_when_their_deadline_passes(client: TestClient, db: Database) -> None:
    """deadline_seconds (issue 21): a gate step that waits longer FAILS with "deadline
    passed" and its decision is closed with the same note; a deadline on another kind
    is a 422."""
    from graphsvc.engine.decisions import expire_deadlines

    spec = {
        "name": f"deadline {new_id()}",
        "on_failure": "CONTINUE",
        "steps": [
            {"key": "OK", "kind": "approval", "description": "approve?", "deadline_seconds": 1},
            {
                "key": "ASK",
                "kind": "human_input",
                "description": "why?",
                "deadline_seconds": 1,
                "is_critical": False,
            },
            {"key": "SLOW", "kind": "approval", "description": "later", "deadline_seconds": 3600},
        ],
    }
    plan_id = _post(client, "/v1/plans?start=true", spec)["id"]
    assert _steps(client, plan_id)["OK"]["wait_deadline"] is not None
    time.sleep(1.2)
    expire_deadlines(db)  # the app's sweeper may have done it already: nothing twice
    steps = _steps(client, plan_id)
    for key in ("OK", "ASK"):
        assert steps[key]["status"] == "FAILED" and steps[key]["error_message"] == "deadline passed"
    assert steps["SLOW"]["status"] == "WAITING"
    by_step = {d["step_id"]: d for d in _decisions_of(client, plan_id)}
    ok, slow = by_step[steps["OK"]["id"]], by_step[steps["SLOW"]["id"]]
    assert (ok["status"], ok["comment"]) == ("REJECTED", "deadline passed")
    assert slow["status"] == "PENDING"
    bad = {
        "name": "x",
        "steps": [{"key": "T", "kind": "task", "description": "t", "deadline_seconds": 5}],
    }
    refused = client.post("/v1/plans", json=bad, headers=COORD)
    assert refused.status_code == 422 and "steps[0].deadline_seconds" in refused.text


def test_a_plan_that_ends_closes_the_decisions_of_its_waiting_steps(client: TestClient) -> None:
    failing = {
        "name": f"fails {new_id()}",
        "steps": [
            {"key": "GATE", "kind": "approval", "description": "approve?"},
            {"key": "BAD", "kind": "approval", "description": "this one is rejected"},
        ],
    }
    plan_id = _post(client, "/v1/plans?start=true", failing)["id"]
    bad = next(d for d in _pending_for(client, plan_id) if d["action"].endswith("BAD"))
    _post(client, f"/v1/decisions/{bad['id']}/reject", {"user_id": "boss"}, status=200)
    steps = _steps(client, plan_id)
    assert steps["GATE"]["status"] == "CANCELLED"  # FAIL_FAST: nobody is to approve it now
    assert _pending_for(client, plan_id) == []
    gate = next(d for d in _decisions_of(client, plan_id) if d["step_id"] == steps["GATE"]["id"])
    assert (gate["status"], gate["comment"]) == ("REJECTED", "the plan failed")

    cancelled = {
        "name": f"cancelled {new_id()}",
        "steps": [{"key": "GATE", "kind": "approval", "description": "approve?"}],
    }
    plan_id = _post(client, "/v1/plans?start=true", cancelled)["id"]
    _post(client, f"/v1/plans/{plan_id}/cancel", {"reason": "changed my mind"}, status=200)
    assert _pending_for(client, plan_id) == []
    [gate] = _decisions_of(client, plan_id)
    assert (gate["status"], gate["comment"]) == ("REJECTED", "changed my mind")

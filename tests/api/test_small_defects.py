"""The API's small defects a new user met (issue 31, item 5), over REST against a real
Neo4j: start and heartbeat answer the step's real status and lease expiry; approving
or rejecting needs no user_id when the key names its principal."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from tests.helpers import auth

COORD = auth("coordinator")
WORKER = auth("worker")  # bound to agent "worker-user" (conftest)


def test_start_and_heartbeat_answer_the_step_status_and_its_lease_expiry(
    client: TestClient,
) -> None:
    kind = f"small_{new_id()[-8:].lower()}"
    spec = {"name": "small", "steps": [{"key": "A", "kind": kind}]}
    assert client.post("/v1/plans?start=true", json=spec, headers=COORD).status_code == 201
    claim = {"agent_id": "worker-user", "kinds": [kind], "lease_seconds": 120}
    [step] = client.post("/v1/steps/claim", json=claim, headers=WORKER).json()["steps"]
    token = {"lease_token": step["lease_token"]}
    beat = client.post(f"/v1/steps/{step['id']}/heartbeat", json=token, headers=WORKER).json()
    assert beat["status"] == "ASSIGNED" and beat["lease_expires_at"]
    started = client.post(f"/v1/steps/{step['id']}/start", json=token, headers=WORKER).json()
    assert started["status"] == "EXECUTING"
    assert datetime.fromisoformat(started["lease_expires_at"]) > datetime.now().astimezone()
    beat = client.post(f"/v1/steps/{step['id']}/heartbeat", json=token, headers=WORKER).json()
    assert beat["status"] == "EXECUTING"


def test_a_decision_without_user_id_is_the_keys_principals(client: TestClient) -> None:
    spec = {"name": "gate", "requires_approval": True, "steps": [{"key": "A", "kind": "noop"}]}
    plan_id = client.post("/v1/plans", json=spec, headers=COORD).json()["id"]
    pending = client.get(
        "/v1/decisions", params={"plan_id": plan_id, "status": "PENDING"}, headers=COORD
    ).json()
    [decision] = pending
    answer = client.post(f"/v1/decisions/{decision['id']}/approve", json={}, headers=COORD)
    assert answer.status_code == 200, answer.text
    trail = client.get(f"/v1/plans/{plan_id}/audit", headers=COORD).json()
    approvals = [row for row in trail if row["kind"] == "APPROVES"]
    assert [row["actor"] for row in approvals] == ["coordinator-user"]

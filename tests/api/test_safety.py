"""Safe by default (issue 18, DESIGN.md section 8), over the REST API against a real Neo4j:
keys always on, lease tokens secret, worker keys bound to their agent, inputs that
could break the service refused with nothing written."""

from __future__ import annotations

import hashlib
import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graphsvc import ValidationFailed
from graphsvc.api.app import create_app
from graphsvc.ids import new_id
from graphsvc.localdb import free_port
from graphsvc.localkey import KEY_FILE
from graphsvc.settings import Settings
from graphsvc.store import Database, Neo4jTarget
from tests.helpers import KEYS, auth

ADMIN = auth("admin")
COORD = auth("coordinator")
WORKER = auth("worker")  # bound to agent "worker-user" (conftest)
BOUND_AGENT = "worker-user"


def _plans_named(db: Database, name: str) -> int:
    query = "MATCH (p:ExecutionPlan {name: $name}) RETURN count(p) AS n"
    return int(db.read(lambda tx: tx.run(query, name=name).single(strict=True)["n"]))


def _start(client: TestClient, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec = {"name": f"safety-{new_id()}", "steps": steps, **extra}
    answer = client.post("/v1/plans?start=true", json=spec, headers=COORD)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _claim(
    client: TestClient, plan_id: str, agent: str, headers: dict[str, str], **body: Any
) -> list[dict[str, Any]]:
    claim = {"agent_id": agent, "plan_ids": [plan_id], "max_steps": 10, **body}
    answer = client.post("/v1/steps/claim", json=claim, headers=headers)
    assert answer.status_code == 200, answer.text
    steps: list[dict[str, Any]] = answer.json()["steps"]
    return steps


def test_a_cross_origin_text_post_without_a_key_is_refused_and_creates_nothing(
    db: Database, tmp_path: Path
) -> None:
    """With default settings (no keys configured, so the local key)."""
    settings = Settings(data_dir=tmp_path / "data", reconcile_on_start=False)
    name = f"drive-by-{new_id()}"
    page = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    tickets = f"# {name}\n---\n# X: Run [prog]\ntouch /tmp/pwned\n"
    with TestClient(create_app(settings, db=db)) as default:
        answer = default.post("/v1/plans/tickets?start=true", content=tickets, headers=page)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"
        assert "access-control-allow-origin" not in answer.headers
        preflight = default.options(
            "/v1/plans",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
    assert _plans_named(db, name) == 0


def test_without_configured_keys_the_local_key_is_generated_private_and_required(
    db: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    app = create_app(Settings(data_dir=data_dir, api_keys="", reconcile_on_start=False), db=db)
    key_file = data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    key = key_file.read_text().strip()
    assert len(key) >= 40
    with TestClient(app) as local:
        assert local.get("/v1/plans").status_code == 401
        assert local.get("/v1/plans", headers={"Authorization": "Bearer nope"}).status_code == 401
        mine = {"Authorization": f"Bearer {key}"}
        assert local.get("/v1/plans?limit=1", headers=mine).status_code == 200
        assert local.get("/v1/whoami", headers=mine).json()["role"] == "admin"
    # A second start keeps the same key.
    create_app(Settings(data_dir=data_dir, api_keys=""), db=db)
    assert key_file.read_text().strip() == key


def test_a_key_list_without_a_key_is_an_error_at_start() -> None:
    with pytest.raises(ValidationFailed, match="no key"):
        create_app(Settings(api_keys=","))


def test_lease_tokens_are_shown_only_to_the_claimer(client: TestClient, db: Database) -> None:
    created = _start(client, [{"key": "A", "kind": "noop"}, {"key": "B", "kind": "noop"}])
    plan_id = created["id"]
    [first, *_] = _claim(client, plan_id, f"agent-{new_id()}", ADMIN, max_steps=1)
    token = first["lease_token"]
    stored = db.read(
        lambda tx: tx.run(
            "MATCH (s:ExecutionStep {id: $id}) RETURN s.lease_token AS plain, "
            "s.lease_token_hash AS hash",
            id=first["id"],
        ).single(strict=True)
    )
    assert stored["plain"] is None
    assert stored["hash"] == hashlib.sha256(token.encode()).hexdigest()
    reads = [
        client.get(f"/v1/plans/{plan_id}", headers=auth("viewer")),
        client.get(f"/v1/steps/{first['id']}", headers=auth("viewer")),
        client.get(f"/v1/plans/{plan_id}/events", headers=auth("viewer")),
        client.get(f"/v1/plans/{plan_id}/audit", headers=auth("viewer")),
        client.get(f"/v1/plans/{plan_id}/tree", headers=auth("viewer")),
        client.post(
            "/v1/queries/get_step",
            json={"parameters": {"step_id": first["id"]}},
            headers=auth("viewer"),
        ),
        client.post(
            "/v1/queries/get_plan",
            json={"parameters": {"plan_id": plan_id, "steps_after": 0, "limit": 100}},
            headers=auth("viewer"),
        ),
    ]
    for read in reads:
        assert read.status_code == 200, read.text
        assert token not in read.text and stored["hash"] not in read.text
        assert "lease_token" not in read.text
    done = client.post(
        f"/v1/steps/{first['id']}/complete", json={"lease_token": token}, headers=ADMIN
    )
    assert done.status_code == 200, done.text
    again = client.post(
        f"/v1/steps/{first['id']}/complete", json={"lease_token": token}, headers=ADMIN
    )
    assert again.status_code == 200  # the idempotent repeat still works from the hash
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


def test_a_worker_key_acts_only_as_its_own_agent(client: TestClient, db: Database) -> None:
    other = f"other-{new_id()}"
    created = _start(
        client,
        [
            {"key": "MINE", "kind": "noop"},
            {"key": "THEIRS", "kind": "noop"},
        ],
    )
    plan_id = created["id"]
    refused = client.post(
        "/v1/steps/claim", json={"agent_id": other, "plan_ids": [plan_id]}, headers=WORKER
    )
    assert refused.status_code == 403
    assert "acts only as agent 'worker-user'" in refused.json()["error"]["message"]
    theirs = _claim(client, plan_id, other, ADMIN, max_steps=1)
    mine = _claim(client, plan_id, BOUND_AGENT, WORKER, max_steps=1)
    assert len(theirs) == 1 and len(mine) == 1
    leaked = theirs[0]
    for action, body in (
        ("start", {"lease_token": leaked["lease_token"]}),
        ("heartbeat", {"lease_token": leaked["lease_token"]}),
        ("complete", {"lease_token": leaked["lease_token"]}),
        ("fail", {"lease_token": leaked["lease_token"], "error_message": "x"}),
    ):
        answer = client.post(f"/v1/steps/{leaked['id']}/{action}", json=body, headers=WORKER)
        assert answer.status_code == 403, (action, answer.text)
    batch = client.post(
        "/v1/steps/complete",
        json={"results": [{"step_id": leaked["id"], "lease_token": leaked["lease_token"]}]},
        headers=WORKER,
    )
    assert batch.json()["results"][0]["error"]["code"] == 403
    step = client.get(f"/v1/steps/{leaked['id']}", headers=ADMIN).json()
    assert step["step"]["status"] == "ASSIGNED"
    # Its own lease it may complete; registering and sending only as itself.
    own = client.post(
        f"/v1/steps/{mine[0]['id']}/complete",
        json={"lease_token": mine[0]["lease_token"]},
        headers=WORKER,
    )
    assert own.status_code == 200
    assert client.post("/v1/agents", json={"id": other}, headers=WORKER).status_code == 403
    send = {
        "from_agent_id": other,
        "to_agent_id": BOUND_AGENT,
        "message_type": "NOTIFICATION",
        "subject": "spoofed",
    }
    assert client.post("/v1/communications", json=send, headers=WORKER).status_code == 403
    # A message between two other agents: the worker key may neither mark nor answer it.
    third = f"third-{new_id()}"
    for agent in (other, third):
        assert client.post("/v1/agents", json={"id": agent}, headers=ADMIN).status_code == 201
    between = client.post(
        "/v1/communications",
        json={**send, "to_agent_id": third, "subject": "private"},
        headers=ADMIN,
    ).json()["id"]
    marked = client.post(
        f"/v1/communications/{between}/status", json={"status": "RECEIVED"}, headers=WORKER
    )
    assert marked.status_code == 403
    reply = {**send, "from_agent_id": BOUND_AGENT, "to_agent_id": other, "responds_to": between}
    assert client.post("/v1/communications", json=reply, headers=WORKER).status_code == 403
    events = client.get(f"/v1/plans/{plan_id}/events", headers=ADMIN).json()
    actors = {(e["type"], e["actor"]) for e in events if e.get("type") != "STEP_READY"}
    assert ("STEP_COMPLETED", BOUND_AGENT) in actors
    assert ("STEP_CLAIMED", other) in actors
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


def test_a_step_reserved_for_another_agent_is_not_claimed_by_a_worker_key(
    client: TestClient,
) -> None:
    other = f"reserved-{new_id()}"
    spec = {"name": "reserved", "steps": [{"key": "R", "kind": "noop"}]}
    created = client.post("/v1/plans", json=spec, headers=COORD).json()
    plan_id, step_id = created["id"], created["step_ids"]["R"]
    patched = client.patch(f"/v1/steps/{step_id}", json={"assignee": other}, headers=COORD)
    assert patched.status_code == 200, patched.text
    assert client.post(f"/v1/plans/{plan_id}/start", headers=COORD).status_code == 200
    assert _claim(client, plan_id, BOUND_AGENT, WORKER) == []
    assert [s["id"] for s in _claim(client, plan_id, other, ADMIN)] == [step_id]
    client.post(f"/v1/plans/{plan_id}/cancel", headers=COORD)


@pytest.mark.parametrize(
    ("step", "where"),
    [
        ({"timeout_seconds": 1e17}, "steps[0].timeout_seconds"),
        ({"max_retries": 2**70}, "steps[0].max_retries"),
        ({"max_lease_losses": -1}, "steps[0].max_lease_losses"),
        ({"estimated_duration": 1e300}, "steps[0].estimated_duration"),
    ],
)
def test_numbers_out_of_bounds_are_422_naming_the_field_and_store_nothing(
    client: TestClient, db: Database, step: dict[str, Any], where: str
) -> None:
    name = f"bounds-{new_id()}"
    spec = {"name": name, "steps": [{"key": "A", "kind": "noop", **step}]}
    answer = client.post("/v1/plans?start=true", json=spec, headers=COORD)
    assert answer.status_code == 422, answer.text
    locations = [p["location"] for p in answer.json()["error"]["details"]["problems"]]
    assert where in locations
    assert _plans_named(db, name) == 0


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON", None])
def test_inputs_nested_too_deep_are_422_and_store_nothing(
    client: TestClient, db: Database, content_type: str | None
) -> None:
    name = f"deep-{new_id()}"
    deep: Any = "bottom"
    for _ in range(256):
        deep = {"d": deep}
    spec = {"name": name, "steps": [{"key": "A", "kind": "noop", "inputs": deep}]}
    headers = {**COORD, **({"Content-Type": content_type} if content_type else {})}
    request = client.build_request("POST", "/v1/plans", content=json.dumps(spec), headers=headers)
    if content_type is None:  # not JSON to FastAPI (strict content type): never stored
        assert "content-type" not in request.headers
    answer = client.send(request)
    assert answer.status_code == 422, answer.text
    if content_type is not None:
        assert "nested deeper than" in answer.json()["error"]["message"]
    assert _plans_named(db, name) == 0


def test_a_body_without_a_valid_key_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b"[" * 100_000 + b"]" * 100_000
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        answer = client.post(
            "/v1/plans", content=big, headers={**headers, "Content-Type": "application/json"}
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"


def test_integers_beyond_64_bits_in_queries_are_422(client: TestClient) -> None:
    created = _start(client, [{"key": "A", "kind": "noop"}])
    events = client.get(f"/v1/plans/{created['id']}/events?after={2**64}", headers=ADMIN)
    assert events.status_code == 422
    assert events.json()["error"]["details"]["problems"][0]["location"] == "after"
    query = client.post(
        "/v1/queries/get_step", json={"parameters": {"step_id": 2**70}}, headers=ADMIN
    )
    assert query.status_code == 422, query.text
    assert "64 bits" in query.text
    depth = client.get(f"/v1/plans/{created['id']}/tree?depth={2**64}", headers=ADMIN)
    assert depth.status_code == 422
    client.post(f"/v1/plans/{created['id']}/cancel", headers=COORD)


def test_a_body_over_the_limit_is_413_and_stores_nothing(db: Database) -> None:
    settings = Settings(
        api_keys=",".join(f"{k}:{r}" for r, k in KEYS.items()),
        max_body_bytes=4096,
        reconcile_on_start=False,
    )
    name = f"big-{new_id()}"
    spec = {"name": name, "steps": [{"key": "A", "kind": "noop", "description": "x" * 5000}]}
    with TestClient(create_app(settings, db=db)) as small:
        answer = small.post("/v1/plans", json=spec, headers=COORD)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "too_large"
        tickets = small.post(
            "/v1/plans/tickets",
            content=f"# {name}\n---\n# A: x [agent]\n" + "y" * 5000,
            headers={**COORD, "Content-Type": "text/plain"},
        )
        assert tickets.status_code == 413
        # The key is checked before the body is read: no key is a 401, not a 413.
        anonymous = small.post("/v1/plans", json=spec)
        assert anonymous.status_code == 401
    assert _plans_named(db, name) == 0


def test_start_on_creation_of_a_plan_that_needs_approval_is_409_and_creates_nothing(
    client: TestClient, db: Database
) -> None:
    name = f"needs-approval-{new_id()}"
    spec = {"name": name, "requires_approval": True, "steps": [{"key": "A", "kind": "noop"}]}
    answer = client.post("/v1/plans?start=true", json=spec, headers=COORD)
    assert answer.status_code == 409
    assert "requires approval" in answer.json()["error"]["message"]
    assert _plans_named(db, name) == 0


def test_neo4j_unreachable_is_a_503_with_retry_after_within_the_timeout() -> None:
    nowhere = Database(Neo4jTarget(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x"), timeout=2.0)
    settings = Settings(
        api_keys=",".join(f"{k}:{r}" for r, k in KEYS.items()),
        reconcile_on_start=False,
        sweep_interval=0.2,
    )
    try:
        with TestClient(create_app(settings, db=nowhere)) as away:
            claim = {"agent_id": "a", "kinds": ["noop"]}
            spec = {"name": "away", "steps": [{"key": "A", "kind": "noop"}]}
            for method, path, body in (
                ("GET", "/v1/plans", None),
                ("POST", "/v1/plans", spec),
                ("POST", "/v1/steps/claim", claim),
                ("POST", "/v1/steps/claim", claim),  # a second claim of the same kind
            ):
                began = time.monotonic()
                answer = away.request(method, path, json=body, headers=ADMIN)
                took = time.monotonic() - began
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"].isdigit()
                assert answer.json()["error"]["code"] == "neo4j_unavailable"
                # Within GRAPHSVC_DB_TIMEOUT plus a second (issue 30, item 4).
                assert took < nowhere.timeout + 1.0, (method, path, took)
            ready = away.get("/readyz")
            assert ready.status_code == 503 and "retry-after" in ready.headers
    finally:
        nowhere.close()


def test_error_bodies_are_json_for_every_status(client: TestClient) -> None:
    for answer in (
        client.get("/v1/plans/nope", headers=ADMIN),
        client.post("/v1/plans", content=b"{not json", headers={**COORD, **_json()}),
        client.get("/v1/nowhere", headers=ADMIN),
        client.delete("/v1/plans", headers=ADMIN),
    ):
        assert answer.status_code >= 400
        error = json.loads(answer.text)["error"]
        assert set(error) == {"code", "message", "details"}


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}

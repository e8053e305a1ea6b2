"""No request harms another (issue 30), over the REST API against a real Neo4j: every
input the fuzzer and the hand-made cases found is refused with a 4xx that names what was
wrong and stores nothing, and another plan's steps go on being claimed and completed;
types are strict and unknown fields refused; a lease is checked against its expiry at
every use; a method not allowed says which are."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import auth, lease_past_due

COORD = auth("coordinator")
WORKER = auth("worker")  # bound to agent "worker-user" (conftest)
AGENT = "worker-user"
JSON = {"Content-Type": "application/json"}


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"d": value}
    return value


def _spec(name: str, **step: Any) -> dict[str, Any]:
    return {"name": name, "steps": [{"key": "A", "kind": "task", "description": "a", **step}]}


def _stored(db: Database, name: str) -> int:
    query = "MATCH (p:ExecutionPlan {name: $name}) RETURN count(p) AS n"
    return int(db.read(lambda tx: tx.run(query, name=name).single(strict=True)["n"]))


def _raw(client: TestClient, path: str, body: bytes, headers: list[tuple[str, str]]) -> Any:
    all_headers = httpx.Headers([*COORD.items(), *headers])
    return client.post(path, content=body, headers=all_headers)


def _planted(client: TestClient, name: str) -> dict[str, tuple[Any, str]]:
    """Each planted request, sent: its answer and what the refusal must name."""
    deep = json.dumps(_spec(name, inputs=_deep(300))).encode()
    text = json.dumps(_spec(name, inputs={"n": 1})).encode()
    two_types = [("content-type", "application/json")] * 2
    text_first = [("content-type", "text/plain"), ("content-type", "application/json")]

    def number(literal: bytes) -> Any:
        body = text.replace(b'"n": 1}', b'"n": ' + literal + b"}")
        return _raw(client, "/v1/plans", body, [*JSON.items()])

    return {
        "two types, JSON first": (_raw(client, "/v1/plans", deep, two_types), "Content-Type"),
        "two types, text first": (_raw(client, "/v1/plans", deep, text_first), "Content-Type"),
        "1e400": (number(b"1e400"), "steps[0].inputs.n"),
        "NaN": (number(b"NaN"), "steps[0].inputs.n"),
        "2^64": (number(b"18446744073709551616"), "steps[0].inputs.n"),
        "a key twice": (number(b'1, "n": 2'), "'n' appears twice"),
        "a number as a boolean": (
            client.post("/v1/plans", json=_spec(name, is_critical=1), headers=COORD),
            "is_critical",
        ),
        "a string as a number": (
            client.post("/v1/plans", json=_spec(name, max_retries="3"), headers=COORD),
            "max_retries",
        ),
        "a heading over 500 characters": (
            client.post(
                "/v1/plans/tickets",
                content=f"# {'H' * 600}\n---\n# A: a [agent]\nwork\n",
                headers=COORD,
            ),
            "plan name: String should have at most 500 characters",
        ),
    }


def test_planted_inputs_are_refused_and_other_plans_claims_go_on(
    client: TestClient, db: Database
) -> None:
    kind = f"edge_{new_id()[:8].lower()}"
    victim = client.post(
        "/v1/plans?start=true",
        json={"name": f"victim-{new_id()}", "steps": [{"key": "V", "kind": kind}]},
        headers=COORD,
    )
    assert victim.status_code == 201, victim.text
    name = f"planted-{new_id()}"
    for case, (answer, named) in _planted(client, name).items():
        assert 400 <= answer.status_code < 500, f"{case}: {answer.status_code} {answer.text}"
        assert named in answer.text, f"{case}: {answer.text}"
        assert answer.json()["error"]["code"] == "validation_failed", case
    assert _stored(db, name) == 0
    # Any plan's claim (no plan filter) still leases the victim's step and completes it.
    claim = {"agent_id": AGENT, "kinds": [kind]}
    claimed = client.post("/v1/steps/claim", json=claim, headers=WORKER)
    assert claimed.status_code == 200, claimed.text
    [step] = claimed.json()["steps"]
    done = client.post(
        f"/v1/steps/{step['id']}/complete",
        json={"lease_token": step["lease_token"]},
        headers=WORKER,
    )
    assert done.status_code == 200, done.text


def test_outputs_that_could_not_be_read_back_are_refused_when_written(
    client: TestClient,
) -> None:
    kind = f"edge_{new_id()[:8].lower()}"
    spec = {
        "name": f"outputs-{new_id()}",
        "steps": [{"key": "A", "kind": kind}, {"key": "B", "kind": kind, "depends_on": ["A"]}],
    }
    assert client.post("/v1/plans?start=true", json=spec, headers=COORD).status_code == 201
    claim = {"agent_id": AGENT, "kinds": [kind]}
    [a] = client.post("/v1/steps/claim", json=claim, headers=WORKER).json()["steps"]
    body = {"lease_token": a["lease_token"], "outputs": _deep(100)}
    refused = client.post(f"/v1/steps/{a['id']}/complete", json=body, headers=WORKER)
    assert refused.status_code == 422 and "nested deeper" in refused.text
    ok = {"lease_token": a["lease_token"], "outputs": _deep(40)}
    assert client.post(f"/v1/steps/{a['id']}/complete", json=ok, headers=WORKER).status_code == 200
    # Its dependent carries those outputs as prior work: the claim answers them whole.
    [b] = client.post("/v1/steps/claim", json=claim, headers=WORKER).json()["steps"]
    assert b["prior_work"][0]["outputs"] == _deep(40)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/steps/claim", {"agent_id": AGENT, "chain": 0}, "chain"),
        ("/v1/steps/claim", {"agent_id": AGENT, "max_steps": True}, "max_steps"),
        ("/v1/steps/claim", {"agent_id": AGENT, "max_steps": 2.0}, "max_steps"),
        ("/v1/steps/claim", {"agent_id": AGENT, "wait_seconds": "1"}, "wait_seconds"),
        ("/v1/steps/claim", {"agent_id": AGENT, "kinds": ["task"], "colour": "red"}, "colour"),
    ],
)
def test_types_are_strict_and_unknown_fields_refused(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    answer = client.post(path, json=body, headers=WORKER)
    assert answer.status_code == 422, answer.text
    locations = [p["location"] for p in answer.json()["error"]["details"]["problems"]]
    assert field in locations


def test_unknown_fields_in_a_change_are_refused_and_change_nothing(client: TestClient) -> None:
    created = client.post("/v1/plans", json=_spec(f"patch-{new_id()}"), headers=COORD).json()
    step_id = created["step_ids"]["A"]
    patch = {"description": "new", "descripton": "typo", "reason": "r"}
    answer = client.patch(f"/v1/steps/{step_id}", json=patch, headers=COORD)
    assert answer.status_code == 422, answer.text
    assert "descripton" in [p["location"] for p in answer.json()["error"]["details"]["problems"]]
    step = client.get(f"/v1/steps/{step_id}", headers=COORD).json()["step"]
    assert step["description"] == "a"


def test_a_completion_after_the_lease_expired_is_409_and_the_step_goes_back(
    client: TestClient, db: Database
) -> None:
    # The app's own sweeper may take the lease back between the two writes below (then
    # the completion is merely stale): try again with a new plan, a few times at most.
    for _ in range(5):
        kind = f"edge_{new_id()[:8].lower()}"
        spec = {"name": f"late-{new_id()}", "steps": [{"key": "A", "kind": kind}]}
        assert client.post("/v1/plans?start=true", json=spec, headers=COORD).status_code == 201
        claim = {"agent_id": AGENT, "kinds": [kind], "lease_seconds": 60}
        [a] = client.post("/v1/steps/claim", json=claim, headers=WORKER).json()["steps"]
        lease_past_due(db, [a["id"]])
        late = client.post(
            f"/v1/steps/{a['id']}/complete", json={"lease_token": a["lease_token"]}, headers=WORKER
        )
        assert late.status_code == 409, late.text
        if late.json()["error"]["code"] == "lease_expired":
            break
    assert late.json()["error"]["code"] == "lease_expired"
    step = client.get(f"/v1/steps/{a['id']}", headers=COORD).json()["step"]
    assert (step["status"], step["lease_losses"]) == ("READY", 1)


def test_a_method_not_allowed_says_which_are(client: TestClient) -> None:
    answer = client.request("TRACE", "/v1/plans", headers=COORD)
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_two_content_types_over_http_are_refused(live_api: str, db: Database) -> None:
    """Through uvicorn, where the two headers arrive as two (the test client joins them)."""
    name = f"types-{new_id()}"
    body = json.dumps(_spec(name, inputs=_deep(300))).encode()
    for second in ("application/json", "text/plain"):
        headers = httpx.Headers(
            [*COORD.items(), ("content-type", "application/json"), ("content-type", second)]
        )
        answer = httpx.post(f"{live_api}/v1/plans", content=body, headers=headers, timeout=10)
        assert answer.status_code == 422, answer.text
        assert "Content-Type" in answer.json()["error"]["message"]
    assert _stored(db, name) == 0


def test_a_claim_whose_answer_cannot_be_sent_rolls_back(client: TestClient, db: Database) -> None:
    """A value written around the API (here by Cypher) that the serializer cannot write:
    the claim that picks its step answers 500 and leases nothing; the step stays READY."""
    kind = f"edge_{new_id()[:8].lower()}"
    spec = {"name": f"unsendable-{new_id()}", "steps": [{"key": "A", "kind": kind}]}
    created = client.post("/v1/plans?start=true", json=spec, headers=COORD).json()
    step_id = created["step_ids"]["A"]
    db.write(
        lambda tx: tx.run(
            "MATCH (s:ExecutionStep {id: $id}) SET s.inputs = $inputs",
            id=step_id,
            inputs='{"d":' * 3000 + "1" + "}" * 3000,
        ).consume()
    )
    answer = client.post(
        "/v1/steps/claim", json={"agent_id": AGENT, "kinds": [kind]}, headers=WORKER
    )
    assert answer.status_code == 500, answer.text
    assert "rolled back" in answer.json()["error"]["message"]
    query = "MATCH (s:ExecutionStep {id: $id}) RETURN s.status AS status, s.lease_token_hash AS h"
    row = db.read(lambda tx: tx.run(query, id=step_id).single(strict=True))
    assert (row["status"], row["h"]) == ("READY", None)

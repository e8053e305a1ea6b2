"""Child plans over the REST API against a real Neo4j: spawning, max_parallel, merged
changesets, failures, conflicts, recursive cancel and the status tree."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from tests.helpers import auth

# These tests act as many agents: an admin key may (a worker key is bound to one agent).
WORKER = auth("admin")
COORD = auth("coordinator")


class Family:
    """A test's plans: every step requires the test's own capability, so only this
    test's claims take them, whatever other plans the shared database holds."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cap = f"cap-{new_id()}"

    def step(self, key: str, **extra: Any) -> dict[str, Any]:
        return {
            "key": key,
            "kind": "task",
            "description": f"do {key}",
            "requires_capabilities": [self.cap],
            **extra,
        }

    def plan(self, name: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"name": name, "steps": steps, **extra}

    def submit(self, spec: dict[str, Any]) -> str:
        response = self.client.post("/v1/plans?start=true", json=spec, headers=COORD)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def claim(self, n: int = 50) -> list[dict[str, Any]]:
        body = {"agent_id": f"agent-{self.cap}", "capabilities": [self.cap], "max_steps": n}
        response = self.client.post("/v1/steps/claim", json=body, headers=WORKER)
        assert response.status_code == 200, response.text
        return [s for s in response.json()["steps"]]

    def claim_one(self, key: str) -> dict[str, Any]:
        steps = self.claim(1)
        assert [s["key"] for s in steps] == [key], steps
        return steps[0]

    def spawn(self, step: dict[str, Any], plans: list[dict[str, Any]], **extra: Any) -> Any:
        body = {"lease_token": step["lease_token"], "plans": plans, **extra}
        return self.client.post(f"/v1/steps/{step['id']}/subplans", json=body, headers=WORKER)

    def complete(self, step: dict[str, Any], changeset: dict[str, Any] | None = None) -> Any:
        body = {
            "lease_token": step["lease_token"],
            "outputs": {"by": step["key"]},
            "changeset": changeset or {},
        }
        return self.client.post(f"/v1/steps/{step['id']}/complete", json=body, headers=WORKER)

    def fail(self, step: dict[str, Any], error: str) -> Any:
        body = {"lease_token": step["lease_token"], "error_message": error, "retryable": False}
        return self.client.post(f"/v1/steps/{step['id']}/fail", json=body, headers=WORKER)

    def get_plan(self, plan_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/plans/{plan_id}", headers=COORD)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def step_of(self, plan_id: str, key: str) -> dict[str, Any]:
        return next(s for s in self.get_plan(plan_id)["steps"] if s["key"] == key)

    def status(self, plan_id: str) -> str:
        return str(self.get_plan(plan_id)["status"])


def test_two_children_complete_and_the_step_completes_with_the_merged_changeset(
    client: TestClient,
) -> None:
    f = Family(client)
    parent = f.submit(f.plan("parent", [f.step("SPLIT"), f.step("AFTER", depends_on=["SPLIT"])]))
    split = f.claim_one("SPLIT")
    spawned = f.spawn(
        split,
        [f.plan("child A", [f.step("A1")]), f.plan("child B", [f.step("B1")])],
        max_parallel=2,
        summary="two halves",
    )
    assert spawned.status_code == 201, spawned.text
    child_a, child_b = spawned.json()["child_plan_ids"]
    waiting = f.step_of(parent, "SPLIT")
    assert waiting["status"] == "WAITING"
    assert f.status(child_a) == f.status(child_b) == "EXECUTING"
    # The step's lease no longer expires while it waits, and the worker's lease is spent.
    assert f.complete(split).status_code == 409

    for step in f.claim():
        assert f.complete(step, {step["key"]: 1, "shared": "same"}).status_code == 200
    done = f.step_of(parent, "SPLIT")
    assert done["status"] == "COMPLETED"
    assert done["outputs"]["child_plan_ids"] == [child_a, child_b]
    assert done["outputs"]["summary"] == "two halves"
    detail = client.get(f"/v1/steps/{split['id']}", headers=COORD).json()
    assert [c["status"] for c in detail["child_plans"]] == ["COMPLETED", "COMPLETED"]
    assert sorted(detail["step"]["child_plan_ids"]) == sorted([child_a, child_b])
    assert done["changeset"] == {"A1": 1, "B1": 1, "shared": "same"}
    assert f.get_plan(child_a)["parent_step_id"] == split["id"]
    assert f.get_plan(child_a)["depth"] == 1
    assert f.get_plan(child_a)["root_plan_id"] == parent
    listed = client.get("/v1/plans", params={"root_only": False}, headers=COORD).json()
    child = next(p for p in listed if p["id"] == child_a)
    assert (child["parent_plan_id"], child["root_plan_id"]) == (parent, parent)
    assert child["parent_step_id"] == split["id"]

    after = f.claim_one("AFTER")
    assert after["prior_work"][0]["outputs"]["child_plan_ids"] == [child_a, child_b]
    f.complete(after)
    assert f.status(parent) == "COMPLETED"
    roots = {p["id"] for p in client.get("/v1/plans?limit=1000", headers=COORD).json()}
    everything = {
        p["id"] for p in client.get("/v1/plans?root_only=false&limit=1000", headers=COORD).json()
    }
    assert parent in roots and child_a not in roots and child_a in everything


def test_each_child_changeset_merges_its_steps_and_the_step_stores_the_merge(
    client: TestClient,
) -> None:
    f = Family(client)
    parent = f.submit(f.plan("parent", [f.step("SPLIT")]))
    split = f.claim_one("SPLIT")
    f.spawn(
        split,
        [f.plan("a", [f.step("A1"), f.step("A2")]), f.plan("b", [f.step("B1")])],
        max_parallel=2,
    )
    for step in f.claim():
        f.complete(step, {f"key-{step['key']}": step["key"], "same": 1})
    assert f.step_of(parent, "SPLIT")["changeset"] == {
        "key-A1": "A1",
        "key-A2": "A2",
        "key-B1": "B1",
        "same": 1,
    }
    # The same, as a person sees it in Browser with the query file.
    rows = client.post(
        "/v1/queries/get_plan",
        json={"parameters": {"plan_id": parent, "steps_after": 0, "limit": 100}},
        headers=COORD,
    ).json()["rows"]
    assert '"key-B1"' in rows[0]["steps"][0]["changeset"]


def _overlap(intervals: list[tuple[datetime, datetime]]) -> int:
    """The largest number of intervals open at one instant."""
    points = sorted(
        [(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda p: (p[0], p[1])
    )
    best = now = 0
    for _, delta in points:
        now += delta
        best = max(best, now)
    return best


def _run_children(f: Family, count: int, max_parallel: int) -> list[tuple[datetime, datetime]]:
    f.submit(f.plan("parent", [f.step("SPLIT")]))
    split = f.claim_one("SPLIT")
    ids = f.spawn(
        split,
        [f.plan(f"child {i}", [f.step(f"C{i}")]) for i in range(count)],
        max_parallel=max_parallel,
    ).json()["child_plan_ids"]
    finished = 0
    while finished < count:
        running = [i for i in ids if f.status(i) == "EXECUTING"]
        assert 1 <= len(running) <= max_parallel
        steps = f.claim()
        assert steps
        for step in steps:
            f.complete(step)
            finished += 1
    intervals = []
    for plan_id in ids:
        events = f.client.get(f"/v1/plans/{plan_id}/events", headers=COORD).json()
        began = next(e["timestamp"] for e in events if e["type"] == "PLAN_START")
        ended = next(e["timestamp"] for e in events if e["type"] == "PLAN_COMPLETED")
        intervals.append((datetime.fromisoformat(began), datetime.fromisoformat(ended)))
    return sorted(intervals)


def test_children_run_one_after_another_with_max_parallel_1(client: TestClient) -> None:
    intervals = _run_children(Family(client), 4, 1)
    assert _overlap(intervals) == 1
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))


def test_at_most_max_parallel_children_run_at_once(client: TestClient) -> None:
    assert _overlap(_run_children(Family(client), 7, 3)) == 3


def test_a_failed_child_fails_the_step_and_the_fail_fast_parent(client: TestClient) -> None:
    f = Family(client)
    parent = f.submit(f.plan("parent", [f.step("SPLIT"), f.step("AFTER", depends_on=["SPLIT"])]))
    split = f.claim_one("SPLIT")
    [child] = f.spawn(split, [f.plan("doomed child", [f.step("BAD")])]).json()["child_plan_ids"]
    assert f.fail(f.claim_one("BAD"), "disk full").status_code == 200
    assert f.status(child) == "FAILED"
    failed = f.step_of(parent, "SPLIT")
    assert failed["status"] == "FAILED"
    assert "doomed child" in failed["error_message"] and "disk full" in failed["error_message"]
    assert f.status(parent) == "FAILED"
    assert f.step_of(parent, "AFTER")["status"] == "CANCELLED"


def test_a_changeset_conflict_fails_the_step_naming_keys_and_children(
    client: TestClient,
) -> None:
    f = Family(client)
    parent = f.submit(f.plan("parent", [f.step("SPLIT")], on_failure="CONTINUE"))
    split = f.claim_one("SPLIT")
    f.spawn(split, [f.plan("left", [f.step("L")]), f.plan("right", [f.step("R")])], max_parallel=2)
    for step in f.claim():
        f.complete(step, {"version": step["key"], "agreed": True})
    failed = f.step_of(parent, "SPLIT")
    assert failed["status"] == "FAILED"
    message = failed["error_message"]
    assert "conflict" in message and "'version'" in message
    assert "'left'" in message and "'right'" in message and "agreed" not in message
    assert f.status(parent) == "FAILED"


def test_a_bad_child_spec_is_422_and_spawns_nothing(client: TestClient) -> None:
    f = Family(client)
    parent = f.submit(f.plan("parent", [f.step("SPLIT")]))
    split = f.claim_one("SPLIT")
    bad = f.plan("loop", [f.step("X", depends_on=["Y"]), f.step("Y", depends_on=["X"])])
    response = f.spawn(split, [f.plan("fine", [f.step("OK")]), bad])
    assert response.status_code == 422
    assert "plans[1]" in response.text and "cycle" in response.text
    ticket = client.post(
        f"/v1/steps/{split['id']}/subplans",
        json={"lease_token": split["lease_token"], "tickets": ["# Child\n---\n# A: x [nope]\nb"]},
        headers=WORKER,
    )
    assert ticket.status_code == 422 and "tickets[0]" in ticket.text
    step = f.step_of(parent, "SPLIT")
    assert step["status"] == "ASSIGNED"
    detail = client.get(f"/v1/steps/{split['id']}", headers=COORD).json()
    assert detail["child_plans"] == []
    wrong = f.spawn({**split, "lease_token": "not-the-token"}, [f.plan("c", [f.step("C")])])
    assert wrong.status_code == 409
    f.complete(split)


def test_cancelling_a_three_level_family_cancels_it_all(client: TestClient) -> None:
    f = Family(client)
    root = f.submit(f.plan("root", [f.step("R"), f.step("R2", depends_on=["R"])]))
    r = f.claim_one("R")
    [child] = f.spawn(r, [f.plan("child", [f.step("C"), f.step("C2", depends_on=["C"])])]).json()[
        "child_plan_ids"
    ]
    c = next(s for s in f.claim() if s["key"] == "C")
    [grandchild] = f.spawn(c, [f.plan("grandchild", [f.step("G1"), f.step("G2")])]).json()[
        "child_plan_ids"
    ]
    late = f.claim()
    assert {s["key"] for s in late} == {"G1", "G2"}

    response = client.post(f"/v1/plans/{root}/cancel", json={"reason": "enough"}, headers=COORD)
    assert response.status_code == 200
    for plan_id in (root, child, grandchild):
        plan = f.get_plan(plan_id)
        assert plan["status"] == "CANCELLED"
        assert {s["status"] for s in plan["steps"]} == {"CANCELLED"}, plan_id
    for step in late:
        assert f.complete(step).status_code == 409

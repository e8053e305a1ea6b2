"""Reads that follow the work: a plan's steps and its audit trail come a page at a time
with a cursor, and the ready frontier of a running plan is read from its READY steps.
Against a real Neo4j."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graphsvc.engine import work
from graphsvc.store import Database
from graphsvc.worker import ApiClient
from tests.helpers import auth

_VIEWER = auth("viewer")


def _start(client: TestClient, steps: list[dict[str, Any]]) -> dict[str, Any]:
    created = client.post(
        "/v1/plans?start=true", json={"name": "paged", "steps": steps}, headers=auth("coordinator")
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def _star(n: int) -> list[dict[str, Any]]:
    return [{"key": "HUB", "kind": "noop"}] + [
        {"key": f"S{i:03}", "kind": "noop", "depends_on": ["HUB"]} for i in range(n)
    ]


def test_a_plans_steps_come_a_page_at_a_time(client: TestClient) -> None:
    plan = _start(client, _star(24))
    path = f"/v1/plans/{plan['id']}"
    first = client.get(path, params={"limit": 10}, headers=_VIEWER)
    body = first.json()
    assert [s["key"] for s in body["steps"]] == ["HUB"] + [f"S{i:03}" for i in range(9)]
    assert body["progress"]["total"] == 25  # the progress counts every step, not the page
    assert body["progress"]["by_status"] == {"READY": 1, "PENDING": 24}
    assert body["next_steps_after"] == body["steps"][-1]["step_number"]
    assert (
        first.headers["Link"]
        == f'<{path}?steps_after={body["next_steps_after"]}&limit=10>; rel="next"'
    )
    keys = [s["key"] for s in body["steps"]]
    following = body["next_steps_after"]
    while following is not None:
        page = client.get(path, params={"limit": 10, "steps_after": following}, headers=_VIEWER)
        keys += [s["key"] for s in page.json()["steps"]]
        following = page.json()["next_steps_after"]
        assert ("Link" in page.headers) == (following is not None)
    assert keys == [s["key"] for s in _star(24)]  # each once, in order
    everything = client.get(path, headers=_VIEWER).json()  # the default page holds 100
    assert len(everything["steps"]) == 25 and everything["next_steps_after"] is None
    for wrong in (0, 1001):
        refused = client.get(path, params={"limit": wrong}, headers=_VIEWER)
        assert refused.status_code == 422


def test_the_audit_trail_pages_with_a_cursor_and_each_row_comes_once(
    client: TestClient, db: Database
) -> None:
    plan = _start(client, _star(30))
    [hub] = work.claim(db, "pager", ["noop"], [], 1, 60, [plan["id"]])
    work.complete(db, hub["id"], hub["lease_token"], {}, None)
    for step in work.claim(db, "pager", ["noop"], [], 30, 60, [plan["id"]]):
        work.complete(db, step["id"], step["lease_token"], {}, None)
    path = f"/v1/plans/{plan['id']}/audit"
    whole = client.get(path, params={"limit": 5000}, headers=_VIEWER).json()
    assert len(whole) > 90  # claims, completions, READY events and the plan's
    rows: list[dict[str, Any]] = []
    page = client.get(path, params={"limit": 7}, headers=_VIEWER)
    while True:
        rows += page.json()
        following = page.links.get("next", {}).get("url")
        if not following:
            break
        page = client.get(following, headers=_VIEWER)
    assert rows == whole
    bad = client.get(path, params={"after": "not-a-cursor"}, headers=_VIEWER)
    assert (
        bad.status_code == 422
        and bad.json()["error"]["details"]["problems"][0]["location"] == "after"
    )


def test_the_sdk_reads_every_page(client: TestClient) -> None:
    plan = _start(client, _star(1200))
    api = ApiClient("http://testserver", "k-viewer")
    api.http = TestClient(client.app, headers=_VIEWER)
    whole = api.get_plan(plan["id"])
    assert len(whole.steps) == 1201 and whole.next_steps_after is None
    assert len(api.get_plan(plan["id"], all_steps=False).steps) == 100
    assert len(api.audit(plan["id"])) >= 2


def test_the_ready_frontier_of_a_running_plan_is_its_ready_steps(
    client: TestClient, db: Database
) -> None:
    plan = _start(client, [*_star(5), {"key": "LATE", "kind": "noop", "depends_on": ["S000"]}])
    ready = client.get(f"/v1/plans/{plan['id']}/ready", headers=_VIEWER).json()
    assert [(r["key"], r["status"]) for r in ready] == [("HUB", "READY")]
    [hub] = work.claim(db, "pager", ["noop"], [], 1, 60, [plan["id"]])
    work.complete(db, hub["id"], hub["lease_token"], {}, None)
    ready = client.get(f"/v1/plans/{plan['id']}/ready", headers=_VIEWER).json()
    assert [r["key"] for r in ready] == [f"S{i:03}" for i in range(5)]
    # A plan not started yet: computed from its steps.
    draft = client.post(
        "/v1/plans", json={"name": "draft", "steps": _star(2)}, headers=auth("coordinator")
    ).json()
    ready = client.get(f"/v1/plans/{draft['id']}/ready", headers=_VIEWER).json()
    assert [(r["key"], r["status"]) for r in ready] == [("HUB", "PENDING")]

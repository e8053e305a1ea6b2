"""Large plan families on a real Neo4j: the status tree of 1 + 10 + 100 + 1,000 plans,
its depth limit, and a recursive cancel of all of it in bounded transactions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graphsvc.domain import parse_spec
from graphsvc.domain.models import PlanSpec
from graphsvc.engine import children, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import auth


def _spec(name: str, cap: str, keys: list[str]) -> PlanSpec:
    return parse_spec(
        {
            "name": name,
            "steps": [{"key": k, "kind": "subplan", "requires_capabilities": [cap]} for k in keys],
        }
    )


def _walk(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [p for s in plan["steps"] for c in s["children"] for p in _walk(c)]


def test_the_tree_of_a_family_of_1111_plans(db: Database, client: TestClient) -> None:
    cap = f"cap-{new_id()}"
    root = create_plan(db, _spec("level 0", cap, ["SPLIT"])).id
    lifecycle.transition_plan(db, root, "start")
    # Three levels: every plan's step spawns 10 children (all at once), down to 1,000 leaves.
    for level in (1, 2, 3):
        leaf = level == 3
        spawners = work.claim(db, f"agent-{cap}", ["subplan"], [cap], max_steps=1000)
        assert len(spawners) == 10 ** (level - 1)
        for step in spawners:
            keys = [f"L{level}S{i}" for i in range(10)] if leaf else ["SPLIT"]
            specs = [_spec(f"level {level}", cap, keys) for _ in range(10)]
            children.spawn(db, step["id"], step["lease_token"], specs, max_parallel=10)

    response = client.get(f"/v1/plans/{root}/tree", headers=auth("viewer"))
    assert response.status_code == 200
    tree = response.json()
    assert tree["plan_count"] == 1111 and tree["truncated"] is False
    assert tree["step_count"] == 1 + 10 + 100 + 10_000
    levels = [0, 0, 0, 0]
    for plan in _walk(tree["root"]):
        levels[plan["level"]] += 1
        assert plan["status"] == "EXECUTING"
        assert plan["progress"]["total"] == (10 if plan["level"] == 3 else 1)
        for step in plan["steps"]:
            assert len(step["children"]) == step["child_count"]
    assert levels == [1, 10, 100, 1000]

    cut = client.get(f"/v1/plans/{root}/tree?depth=1", headers=auth("viewer")).json()
    assert cut["plan_count"] == 11 and cut["truncated"] is True
    assert all(s["truncated"] for p in cut["root"]["steps"][0]["children"] for s in p["steps"])
    too_deep = client.get(f"/v1/plans/{root}/tree?depth=99", headers=auth("viewer"))
    assert too_deep.status_code == 422 and "depth" in too_deep.text
    assert client.get("/v1/plans/nope/tree", headers=auth("viewer")).status_code == 404

    lifecycle.transition_plan(db, root, "cancel", reason="test over")
    after = client.get(f"/v1/plans/{root}/tree", headers=auth("viewer")).json()
    statuses = {p["status"] for p in _walk(after["root"])}
    assert statuses == {"CANCELLED"} and after["plan_count"] == 1111

"""A plan's counters off the hot path (DESIGN.md section 9): claims and completions that
do not end a plan write nothing on the plan node; the last steps completed in
concurrent transactions still end the plan exactly once. Against a real Neo4j."""

from __future__ import annotations

import threading
from typing import Any

from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from tests.helpers import plan_transitions, wait_for


def _running_plan(db: Database, steps: int, kind: str) -> str:
    spec = parse_spec(
        {"name": "counters", "steps": [{"key": f"S{i}", "kind": kind} for i in range(steps)]}
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    return plan_id


def _plan_node(db: Database, plan_id: str) -> dict[str, Any]:
    return db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id}) RETURN properties(p) AS p", id=plan_id
        ).single(strict=True)["p"]
    )


def test_claims_and_completions_that_do_not_end_the_plan_leave_the_plan_node_alone(
    db: Database,
) -> None:
    kind = f"k{new_id()[-8:]}"
    plan_id = _running_plan(db, 3, kind)
    before = _plan_node(db, plan_id)
    claimed = work.claim(db, "agent-counters", [kind], [], max_steps=2)
    assert len(claimed) == 2
    for step in claimed:
        work.complete(db, step["id"], step["lease_token"], {}, {}, actor="test")
    assert _plan_node(db, plan_id) == before
    [last] = work.claim(db, "agent-counters", [kind], [], max_steps=1)
    work.complete(db, last["id"], last["lease_token"], {}, {}, actor="test")
    assert _plan_node(db, plan_id)["status"] == "COMPLETED"


def test_the_last_steps_completed_at_once_end_the_plan_exactly_once(db: Database) -> None:
    for _ in range(12):
        kind = f"k{new_id()[-8:]}"
        plan_id = _running_plan(db, 4, kind)
        claimed = work.claim(db, "agent-race", [kind], [], max_steps=4)
        assert len(claimed) == 4
        go = threading.Barrier(4)

        def finish(step: dict[str, Any], go: threading.Barrier = go) -> None:
            go.wait()
            work.complete(db, step["id"], step["lease_token"], {}, {}, actor="test")

        threads = [threading.Thread(target=finish, args=(s,)) for s in claimed]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

        def ended(plan_id: str = plan_id) -> bool:
            return bool(_plan_node(db, plan_id)["status"] == "COMPLETED")

        wait_for(ended, 10, "the plan to end")
        ends = [t for t, _ in plan_transitions(db, plan_id) if t == "PLAN_COMPLETED"]
        assert ends == ["PLAN_COMPLETED"]

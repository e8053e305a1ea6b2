"""A plan's counters off the hot path (DESIGN.md section 9): claims and completions that
do not end a plan write nothing on the plan node; the last steps completed in
concurrent transactions still end the plan exactly once. Against a real Neo4j."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from graphsvc.domain import parse_spec
from graphsvc.domain.rules import Completion
from graphsvc.engine import changes, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, Tx
from graphsvc.store._events import flush_journal
from graphsvc.store._modifications import Actor
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


@pytest.mark.parametrize(
    "completion_first",
    [True, False],
    ids=["cancel-while-a-completion-is-open", "completion-after-a-cancel"],
)
def test_a_completion_and_a_cancel_that_end_a_plan_together_end_it(
    db: Database, completion_first: bool
) -> None:
    """A completes (counted on a stripe, no plan lock) and a coordinator cancels B (under
    the plan's lock). With the completion open, uncommitted, the cancel waits for its
    stripe and then sees it; with the cancel first (it commits before the completion
    starts: no race) the completion sees no step left and ends the plan itself."""
    kind = f"k{new_id()[-8:]}"
    plan_id = _running_plan(db, 2, kind)
    [a] = work.claim(db, "agent-cancel", [kind], [], max_steps=1)
    other = next(
        s["id"]
        for s in db.read(
            lambda tx: tx.run(
                "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) RETURN s.id AS id",
                id=plan_id,
            ).data()
        )
        if s["id"] != a["id"]
    )
    cancel = threading.Thread(target=lambda: changes.cancel_step(db, other, Actor("test"), "race"))
    with db.driver.session(database=db.name) as session:
        tx = session.begin_transaction()
        ours = Tx(tx)
        if not completion_first:
            cancel.start()
            time.sleep(0.5)  # the cancel holds the plan and its stripes, uncommitted
        work._complete_in(ours, [Completion(a["id"], a["lease_token"])], "test", None, None)
        flush_journal(ours)
        if completion_first:
            cancel.start()
            time.sleep(0.5)  # the cancel waits for the completion's stripe
        tx.commit()
        ours.committed()
    cancel.join(30)

    def ended() -> bool:
        return bool(_plan_node(db, plan_id)["status"] == "COMPLETED")

    wait_for(ended, 10, "the plan to end")

"""Reconciliation repairs drift from get_ready_steps, on a real Neo4j."""

from __future__ import annotations

from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle
from graphsvc.engine.lifecycle import list_events
from graphsvc.engine.plans import create_plan
from graphsvc.engine.reconcile import reconcile
from graphsvc.ids import new_id
from graphsvc.store import Database, plans


def _statuses(db: Database, plan_id: str) -> dict[str, str]:
    return {s.key: s.status.value for s in plans.get_plan(db, plan_id).steps}


def _drift(db: Database, plan_id: str, statuses: dict[str, str]) -> None:
    """Set statuses by hand, the way a crash or a Browser edit could, bypassing the store."""
    db.write(
        lambda tx: tx.run(
            """
            MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep)
            WHERE s.key IN keys($statuses)
            SET s.status = $statuses[s.key]
            """,
            plan_id=plan_id,
            statuses=statuses,
        ).consume()
    )


def _new_plan(db: Database) -> str:
    # Steps no worker can claim (a capability nobody has): only the test moves them.
    never = {"kind": "task", "description": "by hand", "requires_capabilities": [new_id()]}
    spec = parse_spec(
        {
            "name": "drift",
            "steps": [
                {"key": "A", **never},
                {"key": "B", **never, "depends_on": ["A"]},
                {"key": "C", **never, "depends_on": ["B"]},
            ],
        }
    )
    plan_id = create_plan(db, spec).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    return plan_id


def test_reconcile_repairs_readiness_and_counters(db: Database) -> None:
    plan_id = _new_plan(db)
    assert _statuses(db, plan_id) == {"A": "READY", "B": "PENDING", "C": "PENDING"}
    # A finished without its dependents being re-checked, and C was made READY too early.
    _drift(db, plan_id, {"A": "COMPLETED", "C": "READY"})

    report = reconcile(db, [plan_id])

    assert _statuses(db, plan_id) == {"A": "COMPLETED", "B": "READY", "C": "PENDING"}
    assert report.counters_fixed == [plan_id]
    assert len(report.made_ready) == 1 and len(report.made_pending) == 1
    counters = db.read(
        lambda tx: (
            tx.run(
                "MATCH (p:ExecutionPlan {id: $id}) "
                "RETURN p.unfinished AS u, p.failed_critical AS f",
                id=plan_id,
            )
            .single(strict=True)
            .data()
        )
    )
    assert counters == {"u": 2, "f": 0}
    events = [e for e in list_events(db, plan_id) if e.actor == "reconciler"]
    assert sorted(e.type for e in events) == ["STEP_BLOCKED", "STEP_READY"]
    # A second pass finds nothing to repair.
    assert not reconcile(db, [plan_id]).changed
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_reconcile_ends_a_plan_whose_steps_all_finished(db: Database) -> None:
    plan_id = _new_plan(db)
    _drift(db, plan_id, {"A": "COMPLETED", "B": "COMPLETED", "C": "SKIPPED"})
    report = reconcile(db, [plan_id])
    assert report.plans_finished == [plan_id]
    assert plans.get_plan(db, plan_id).status.value == "COMPLETED"


def test_reconcile_leaves_a_draft_plan_without_ready_steps(db: Database) -> None:
    plan_id = create_plan(
        db, parse_spec({"name": "draft", "steps": [{"key": "A", "kind": "noop"}]})
    ).id
    _drift(db, plan_id, {"A": "READY"})
    reconcile(db)  # every live plan, as at start-up
    assert _statuses(db, plan_id) == {"A": "PENDING"}

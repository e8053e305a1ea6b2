"""Spawning child plans from a running step (DESIGN.md section 3, "Child plans")."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.domain.leases import check_lease
from graphsvc.domain.models import PlanSpec
from graphsvc.domain.states import StepStatus
from graphsvc.engine.chains import release_chains
from graphsvc.engine.family import carry, schedule_children
from graphsvc.engine.progress import record_events
from graphsvc.engine.work import leased_write
from graphsvc.ids import new_id
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_step
from graphsvc.store.plans import NewPlan, write_plans

__all__ = ["SUMMARY_LIMIT", "spawn"]

SUMMARY_LIMIT = 200

_WAIT = engine_query("wait_for_children")
_LINK = engine_query("link_child_plans")


def spawn(
    db: Database,
    step_id: str,
    token: str,
    specs: list[PlanSpec],
    max_parallel: int = 1,
    summary: str | None = None,
    actor: str | None = None,
    agent: str | None = None,
) -> list[str]:
    """Spawn ``specs`` as child plans of a leased step, in one transaction.

    The step goes WAITING (its lease no longer expires); each child is an
    ``ExecutionPlan`` linked ``(step)-[:SPAWNED {order}]->(child)``, created
    DRAFT with its ``depth`` in the family; the first ``max_parallel`` start at
    once, the rest as slots free. ``summary`` (at most 200 characters kept)
    goes into the step's outputs when it completes. Returns the child plan ids in creation order.
    Raises ``ValidationFailed`` (no specs, or a child that requires approval),
    ``NotFoundError``, ``ConflictError`` (stale lease, step not running) or
    ``PermissionDenied`` (``agent`` given and not the lease's holder); nothing is
    written then. Events name the lease's holder as actor (``actor`` when none).
    """
    if not specs:
        raise ValidationFailed([Problem("plans", "give at least one child plan")])
    problems = [
        Problem(
            f"plans[{i}].requires_approval",
            "a child plan cannot require approval; put an approval step in it instead",
        )
        for i, spec in enumerate(specs)
        if spec.requires_approval
    ]
    if problems:
        raise ValidationFailed(problems)

    def work(tx: Tx) -> list[str]:
        step, plan = lock_step(tx, step_id)
        check_lease(step, token, "wait", agent)
        actor_ = step["lease_holder"] or actor
        family = tx.run(
            _WAIT,
            step_id=step_id,
            max_parallel=max_parallel,
            summary=(summary or "")[:SUMMARY_LIMIT] or None,
        ).single(strict=True)
        extra: dict[str, Any] = {"depth": family["depth"]}
        new = [
            NewPlan(new_id(), spec, {s.key: new_id() for s in spec.steps}, extra) for spec in specs
        ]
        write_plans(tx, new, actor_)
        ids = [n.id for n in new]
        tx.run(_LINK, step_id=step_id, plan_ids=ids).consume()
        # Its children's time is not its claimer's: the steps chained behind it go back.
        why = f"step {step['key']} before it waits for child plans"
        events: list[dict[str, Any]] = release_chains(tx, [step_id], actor_, why)
        events += [
            {
                "plan_id": plan["id"],
                "step_id": step_id,
                "type": "STEP_WAITING",
                "from_status": step["status"],
                "to_status": StepStatus.WAITING.value,
                "actor": actor_,
                "message": f"spawned {len(ids)} child plan(s), at most {max_parallel} at once",
                "detail": {"child_plan_ids": ids},
            }
        ]
        more, follow = schedule_children(tx, step_id, actor_)
        events += more + carry(tx, follow, actor_)
        record_events(tx, events)
        return ids

    return leased_write(db, step_id, work)

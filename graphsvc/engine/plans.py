"""Creating a plan: its nodes, its approval request, and its start, in one transaction."""

from __future__ import annotations

from graphsvc.domain.models import PlanCreated, PlanSpec
from graphsvc.domain.states import PlanStatus
from graphsvc.engine.gates import request_plan_approval
from graphsvc.engine.lifecycle import transition_tx
from graphsvc.engine.progress import record_events
from graphsvc.ids import new_id
from graphsvc.store._db import Database, Tx
from graphsvc.store.plans import NewPlan, write_plans

__all__ = ["create_plan"]


def create_plan(
    db: Database, spec: PlanSpec, actor: str | None = None, start: bool = False
) -> PlanCreated:
    """Store a validated plan in one write transaction; the plan starts DRAFT, or with
    ``start`` EXECUTING, started in the same transaction (a start that is refused, or a
    crash between the two, leaves no plan behind: the caller may simply try again).

    Creates the ``ExecutionPlan``, its steps (``CONTAINS_STEP {order}``,
    ``step_number`` 1..n), ``DEPENDS_ON`` edges, ``REQUIRES_CAPABILITY`` links,
    ``CREATES_PLAN`` from ``spec.analysis_id`` and a ``PLAN_CREATED`` event; a plan
    that ``requires_approval`` also gets a PENDING ``EXECUTE`` decision.
    Batched with UNWIND: a 10,000-step plan is a handful of queries.
    Raises ``ValidationFailed`` (nothing written) for an unknown analysis, and
    ``ConflictError`` (nothing written) when ``start`` and the plan needs approval.
    """
    plan_id = new_id()
    ids = {step.key: new_id() for step in spec.steps}

    def work(tx: Tx) -> PlanStatus:
        write_plans(tx, [NewPlan(plan_id, spec, ids)], actor)
        if spec.requires_approval:
            record_events(tx, [request_plan_approval(tx, plan_id)])
        if start:
            return transition_tx(tx, plan_id, "start", actor, None)
        return PlanStatus.DRAFT

    status = db.write(work)
    return PlanCreated(
        id=plan_id,
        name=spec.name,
        status=status,
        step_count=len(spec.steps),
        step_ids=ids,
    )

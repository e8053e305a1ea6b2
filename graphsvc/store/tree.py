"""The status tree of a plan family (``cypher/get_status_tree.cypher``)."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import NotFoundError
from graphsvc.domain.models import StatusTree, TreePlan, TreeStep
from graphsvc.store._db import Database
from graphsvc.store._queries import load_query
from graphsvc.store.plans import progress_of

__all__ = ["status_tree"]


def _assemble(rows: list[dict[str, Any]], depth: int) -> StatusTree:
    plans: dict[str, TreePlan] = {}
    steps: dict[str, TreeStep] = {}
    truncated = False
    for row in rows:  # each level after the one above: a parent step is always known
        raw_steps = sorted(row["steps"], key=lambda s: s["step_number"])
        plan = TreePlan(
            id=row["plan_id"],
            name=row["name"],
            status=row["status"],
            level=row["level"],
            parent_step_id=row["parent_step_id"] if row["level"] else None,
            progress=progress_of([s["status"] for s in raw_steps]),
            steps=[
                TreeStep.model_validate(
                    {**s, "truncated": row["level"] == depth and s["child_count"] > 0}
                )
                for s in raw_steps
            ],
        )
        truncated = truncated or any(s.truncated for s in plan.steps)
        plans[plan.id] = plan
        steps.update((s.id, s) for s in plan.steps)
        if plan.level and plan.parent_step_id in steps:
            steps[plan.parent_step_id].children.append(plan)
    root = next(p for p in plans.values() if p.level == 0)
    return StatusTree(
        depth=depth,
        plan_count=len(plans),
        step_count=len(steps),
        truncated=truncated,
        root=root,
    )


def status_tree(db: Database, plan_id: str, depth: int = 3) -> StatusTree:
    """Plan -> steps -> child plans -> ... down to ``depth`` levels of child plans, each
    plan with status and progress, children in creation order. One query, read
    transaction. Raises ``NotFoundError`` for an unknown plan."""
    query = load_query("get_status_tree").body
    rows = db.read(lambda tx: tx.run(query, plan_id=plan_id, depth=depth).data())
    if not rows:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return _assemble(rows, depth)

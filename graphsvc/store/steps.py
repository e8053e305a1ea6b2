"""Steps in the graph: reads of one step and its neighbourhood."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import NotFoundError
from graphsvc.domain.models import StepDetail
from graphsvc.store._convert import node_props
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import load_query
from graphsvc.store.journal import number_plan

__all__ = ["get_step"]


def get_step(db: Database, step_id: str) -> StepDetail:
    """A step with its dependencies, dependents, child plans and events (by ``seq``).

    Raises ``NotFoundError`` when no step has this id.
    """
    query = load_query("get_step").body

    def work(tx: Tx) -> dict[str, Any] | None:
        record = tx.run(query, step_id=step_id).single()
        return None if record is None else record.data()

    row = db.read(work)
    if row is None:
        raise NotFoundError(f"no step with id {step_id!r}", {"step_id": step_id})
    if any(e["seq"] is None for e in row["events"]):
        # A batch committed moments ago, not numbered yet: number it, read again.
        number_plan(db, row["step"]["plan_id"])
        row = db.read(work) or row
    child_plans = [node_props(c) for c in row["child_plans"]]
    step = {**node_props(row["step"]), "child_plan_ids": [c["id"] for c in child_plans]}
    events = sorted(
        (node_props(e) for e in row["events"] if e["seq"] is not None), key=lambda e: e["seq"]
    )
    return StepDetail.model_validate(
        {
            "step": step,
            "plan_id": step["plan_id"],
            "dependencies": row["dependencies"],
            "dependents": row["dependents"],
            "child_plans": child_plans,
            "events": events,
        }
    )

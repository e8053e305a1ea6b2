"""Steps in the graph: reads of one step and its neighbourhood."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc._errors import NotFoundError
from graphsvc.domain.models import StepDetail
from graphsvc.store._convert import node_props
from graphsvc.store._db import Database
from graphsvc.store._queries import load_query

__all__ = ["get_step", "step_id_of"]


def get_step(db: Database, step_id: str) -> StepDetail:
    """A step with its dependencies, dependents, child plans and events (by ``seq``).

    Raises ``NotFoundError`` when no step has this id.
    """
    query = load_query("get_step").body

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any] | None:
        record = tx.run(query, step_id=step_id).single()
        return None if record is None else record.data()

    row = db.read(work)
    if row is None:
        raise NotFoundError(f"no step with id {step_id!r}", {"step_id": step_id})
    step = node_props(row["step"])
    events = sorted((node_props(e) for e in row["events"]), key=lambda e: e["seq"])
    return StepDetail.model_validate(
        {
            "step": step,
            "plan_id": step["plan_id"],
            "dependencies": row["dependencies"],
            "dependents": row["dependents"],
            "child_plans": [node_props(c) for c in row["child_plans"]],
            "events": events,
        }
    )


def step_id_of(db: Database, ref: str) -> str:
    """A step's id from ``ref``: a step id, or ``PLAN_ID:KEY``. ``NotFoundError`` if none."""
    plan_id, _, key = ref.rpartition(":")
    query = (
        "MATCH (:ExecutionPlan {id: $plan_id})-[:CONTAINS_STEP]->(s:ExecutionStep {key: $key}) "
        "RETURN s.id AS id"
        if plan_id
        else "MATCH (s:ExecutionStep {id: $key}) RETURN s.id AS id"
    )
    record = db.read(lambda tx: tx.run(query, plan_id=plan_id, key=key).single())
    if record is None:
        raise NotFoundError(f"no step {ref!r} (give a step id or PLAN_ID:KEY)", {"step": ref})
    return str(record["id"])

"""Locks: a write to a step node takes its lock (Neo4j locks a node on its first write
in a transaction), so a command that checks a step's status or lease under the lock
sees it as it stays until commit. Steps are locked before their plan, in id order when
there are several (no deadlock between two writers of the same steps)."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc._errors import NotFoundError
from graphsvc.store._convert import node_props
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = ["lock_plan", "lock_step", "lock_steps"]

_LOCK_PLAN = engine_query("lock_plan")
_LOCK_STEP = engine_query("lock_step")
_LOCK_STEPS = engine_query("lock_steps")


def lock_step(tx: Tx, step_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lock a step (a write to it) and return it with its plan; ``NotFoundError`` if none.

    The step carries ``lease_hash`` (its lease token's hash) and ``lease_holder`` (the
    id of the agent that holds its lease, or None)."""
    record = tx.run(_LOCK_STEP, step_id=step_id).single()
    if record is None:
        raise NotFoundError(f"no step with id {step_id!r}", {"step_id": step_id})
    return _locked(record)


def _locked(record: neo4j.Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """A locked step (with ``lease_holder``) and its plan, from a lock query's record."""
    return {**node_props(record["step"]), "lease_holder": record["holder"]}, dict(record["plan"])


def lock_steps(tx: Tx, step_ids: list[str]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Lock steps in id order; each found one by id, as ``lock_step`` returns it."""
    return {r["step"]["id"]: _locked(r) for r in tx.run(_LOCK_STEPS, step_ids=sorted(step_ids))}


def lock_plan(tx: Tx, plan_id: str, added: int = 0) -> dict[str, Any]:
    """Lock a plan (the one plan lock: ``cypher/engine/lock_plan.cypher``) and return
    ``{id, status, priority, version, requires_approval, on_failure, can_modify, unfinished,
    failed_critical, is_child, first_number}``; with ``added`` > 0 the plan also counts
    that many new unfinished steps, numbered from ``first_number``.
    ``NotFoundError`` if there is no such plan."""
    record = tx.run(_LOCK_PLAN, plan_id=plan_id, added=added).single()
    if record is None:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return dict(record["plan"])

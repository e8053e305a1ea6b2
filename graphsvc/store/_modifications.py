"""PlanModification records: every change to a running plan, written in the transaction
of the change itself (DESIGN.md sections 1 and 4).

``(m:PlanModification {modification_type, old_value, new_value, reason, timestamp,
status: 'APPLIED', plan_version})-[:MODIFIES_PLAN]->(plan)``, ``-[:MODIFIES_STEP]->``
the step changed or ``-[:CREATES_STEP]->`` the step added, and
``(actor:User|Agent)-[:REQUESTS_MODIFICATION]->(m)``. Each one also bumps the
plan's ``version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import neo4j

from graphsvc.ids import new_id
from graphsvc.store._convert import to_json

__all__ = ["Actor", "ModificationType", "record_modification"]


class ModificationType(StrEnum):
    ADD_STEP = "ADD_STEP"
    ADD_DEPENDENCY = "ADD_DEPENDENCY"
    REMOVE_DEPENDENCY = "REMOVE_DEPENDENCY"
    CANCEL_STEP = "CANCEL_STEP"
    SKIP_STEP = "SKIP_STEP"
    RETRY_STEP = "RETRY_STEP"
    MODIFY_STEP = "MODIFY_STEP"
    REASSIGN_AGENT = "REASSIGN_AGENT"


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a ``User`` or an ``Agent`` by id (created on first use)."""

    id: str
    is_agent: bool = False
    name: str | None = None

    def __str__(self) -> str:
        return self.id


_RECORD = """
MATCH (p:ExecutionPlan {id: $plan_id})
SET p.version = coalesce(p.version, 1) + 1
CREATE (m:PlanModification {id: $id, modification_type: $type, old_value: $old,
                            new_value: $new, reason: $reason, timestamp: datetime(),
                            status: 'APPLIED', plan_version: p.version})
CREATE (m)-[:MODIFIES_PLAN]->(p)
WITH m
OPTIONAL MATCH (s:ExecutionStep {id: $step_id})
FOREACH (_ IN CASE WHEN s IS NOT NULL AND NOT $creates THEN [1] ELSE [] END |
         CREATE (m)-[:MODIFIES_STEP]->(s))
FOREACH (_ IN CASE WHEN s IS NOT NULL AND $creates THEN [1] ELSE [] END |
         CREATE (m)-[:CREATES_STEP]->(s))
WITH m
"""
_BY_USER = (
    _RECORD
    + """
MERGE (a:User {id: $actor_id})
  ON CREATE SET a.name = coalesce($actor_name, $actor_id), a.created_at = datetime()
CREATE (a)-[:REQUESTS_MODIFICATION]->(m)
"""
)
_BY_AGENT = (
    _RECORD
    + """
MERGE (a:Agent {id: $actor_id})
  ON CREATE SET a.name = coalesce($actor_name, $actor_id), a.status = 'ACTIVE'
CREATE (a)-[:REQUESTS_MODIFICATION]->(m)
"""
)


def record_modification(
    tx: neo4j.ManagedTransaction,
    plan_id: str,
    step_id: str | None,
    kind: ModificationType,
    actor: Actor,
    reason: str | None,
    old: Any = None,
    new: Any = None,
) -> dict[str, Any]:
    """Write one APPLIED ``PlanModification``; returns the event that goes with it."""
    modification_id = new_id()
    tx.run(
        _BY_AGENT if actor.is_agent else _BY_USER,
        plan_id=plan_id,
        step_id=step_id,
        id=modification_id,
        type=kind.value,
        old=to_json(old),
        new=to_json(new),
        reason=reason,
        creates=kind == ModificationType.ADD_STEP,
        actor_id=actor.id,
        actor_name=actor.name,
    ).consume()
    return {
        "plan_id": plan_id,
        "step_id": step_id,
        "type": f"PLAN_MODIFIED_{kind.value}",
        "actor": actor.id,
        "message": reason,
        "detail": {"modification_id": modification_id},
    }

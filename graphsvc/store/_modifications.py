"""PlanModification records: every change to a running plan, written in the transaction
of the change itself (DESIGN.md sections 1 and 4).

``(m:PlanModification {modification_type, old_value, new_value, reason, timestamp,
status: 'APPLIED', plan_version})-[:MODIFIES_PLAN]->(plan)``, ``-[:MODIFIES_STEP]->``
the step changed or ``-[:CREATES_STEP]->`` the step added, and
``(actor:User|Agent)-[:REQUESTS_MODIFICATION]->(m)``. Each one also bumps the
plan's ``version``.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphsvc.domain.states import StepStatus
from graphsvc.ids import new_id
from graphsvc.store._convert import to_json
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = [
    "APPLYING",
    "Actor",
    "Change",
    "ModificationType",
    "record_modification",
    "record_modifications",
]


class ModificationType(StrEnum):
    ADD_STEP = "ADD_STEP"
    REMOVE_STEP = "REMOVE_STEP"
    ADD_DEPENDENCY = "ADD_DEPENDENCY"
    REMOVE_DEPENDENCY = "REMOVE_DEPENDENCY"
    CANCEL_STEP = "CANCEL_STEP"
    SKIP_STEP = "SKIP_STEP"
    RETRY_STEP = "RETRY_STEP"
    MODIFY_STEP = "MODIFY_STEP"
    REASSIGN_AGENT = "REASSIGN_AGENT"
    REPLAN = "REPLAN"


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a ``User`` or an ``Agent`` by id (created on first use)."""

    id: str
    is_agent: bool = False
    name: str | None = None

    def __str__(self) -> str:
        return self.id


_RECORD = engine_query("record_modifications")

# While an approved change is applied (engine.approvals), the id of its REQUESTED
# modification: the change's first record becomes APPLIED under that id instead of a new one.
APPLYING: ContextVar[str | None] = ContextVar("graphsvc_applying_modification", default=None)


@dataclass(frozen=True)
class Change:
    """One change to record: the step it is about (if any), its type, old and new values;
    for ``ADD_STEP``, the status the step was created with."""

    step_id: str | None
    kind: ModificationType
    old: Any = None
    new: Any = None
    created: StepStatus = StepStatus.PENDING


def record_modifications(
    tx: Tx,
    plan_id: str,
    changes: list[Change],
    actor: Actor,
    reason: str | None,
) -> list[dict[str, Any]]:
    """Write one APPLIED ``PlanModification`` per change (one query; the plan's
    ``version`` goes up by one per change); returns the events that go with them,
    ``PLAN_MODIFIED_<type>``. An ``ADD_STEP`` event is also the step's creation: its
    ``to_status`` is the status the step was created with (``Change.created``)."""
    rows = [
        {
            "id": new_id(),
            "step_id": c.step_id,
            "type": c.kind.value,
            "old": to_json(c.old),
            "new": to_json(c.new),
            "creates": c.kind == ModificationType.ADD_STEP,
            "removes": c.kind == ModificationType.REMOVE_STEP,
            "created": c.created.value,
        }
        for c in changes
    ]
    requested = APPLYING.get()
    if rows and requested is not None:
        rows[0]["id"] = requested  # an approved change applies its REQUESTED record
        APPLYING.set(None)
    if rows:
        tx.run(
            _RECORD,
            is_agent=actor.is_agent,
            plan_id=plan_id,
            rows=rows,
            reason=reason,
            actor_id=actor.id,
            actor_name=actor.name,
        ).consume()
    return [
        {
            "plan_id": plan_id,
            "step_id": row["step_id"],
            "type": f"PLAN_MODIFIED_{row['type']}",
            "actor": actor.id,
            "message": reason,
            "detail": {"modification_id": row["id"]},
            "to_status": row["created"] if row["creates"] else None,
        }
        for row in rows
    ]


def record_modification(
    tx: Tx,
    plan_id: str,
    step_id: str | None,
    kind: ModificationType,
    actor: Actor,
    reason: str | None,
    old: Any = None,
    new: Any = None,
) -> dict[str, Any]:
    """Write one APPLIED ``PlanModification``; returns the event that goes with it."""
    [event] = record_modifications(tx, plan_id, [Change(step_id, kind, old, new)], actor, reason)
    return event

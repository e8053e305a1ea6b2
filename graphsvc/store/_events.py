"""Audit events: every transition writes an ``Event`` in the transaction that makes it.

An event is ``ABOUT`` its subject and, for a step, also about the step's
plan; ``seq`` numbers a plan's events 1, 2, 3, ... (the plan node holds the
counter, so concurrent writers of one plan take turns).
"""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc.ids import new_id
from graphsvc.store._convert import to_json

__all__ = ["write_plan_events"]

_WRITE_EVENTS = """
UNWIND $events AS ev
MATCH (p:ExecutionPlan {id: ev.plan_id})
OPTIONAL MATCH (step:ExecutionStep {id: ev.step_id})
SET p.event_seq = coalesce(p.event_seq, 0) + 1
CREATE (e:Event {id: ev.id, seq: p.event_seq, type: ev.type, from_status: ev.from_status,
                 to_status: ev.to_status, message: ev.message, detail: ev.detail,
                 actor: ev.actor, timestamp: datetime()})
CREATE (e)-[:ABOUT]->(p)
FOREACH (_ IN CASE WHEN step IS NULL THEN [] ELSE [1] END | CREATE (e)-[:ABOUT]->(step))
"""


def write_plan_events(tx: neo4j.ManagedTransaction, events: list[dict[str, Any]]) -> None:
    """Write events, each ``{plan_id, step_id?, type, from_status?, to_status?, message?,
    detail?, actor?}``; with ``step_id`` the event is about that step too."""
    rows = [
        {
            "id": new_id(),
            "plan_id": ev["plan_id"],
            "step_id": ev.get("step_id"),
            "type": ev["type"],
            "from_status": ev.get("from_status"),
            "to_status": ev.get("to_status"),
            "message": ev.get("message"),
            "detail": to_json(ev.get("detail")),
            "actor": ev.get("actor"),
        }
        for ev in events
    ]
    if rows:
        tx.run(_WRITE_EVENTS, events=rows).consume()

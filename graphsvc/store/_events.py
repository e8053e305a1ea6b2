"""Audit events: every transition writes an ``Event`` in the transaction that makes it.

An event is ``ABOUT`` its subject and, for a step, also about the step's
plan; ``seq`` numbers a plan's events 1, 2, 3, ... (the plan node holds the
counter, so concurrent writers of one plan take turns). Each event also carries
its plan's id (``plan_id``) so that the database itself holds ``(plan_id, seq)``
unique (the ``event_plan_seq`` constraint): a numbering bug fails the write
instead of repeating a number that ``events?after=`` paging would skip.
"""

from __future__ import annotations

from typing import Any

from graphsvc.ids import new_id
from graphsvc.metrics import count_events
from graphsvc.store._convert import to_json
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = ["write_plan_events"]

_WRITE_EVENTS = engine_query("write_events")


def write_plan_events(tx: Tx, events: list[dict[str, Any]]) -> None:
    """Write events, each ``{plan_id, step_id?, decision_id?, type, from_status?,
    to_status?, message?, detail?, actor?, kind?}``; with ``step_id`` (``decision_id``)
    the event is about that step (decision) too. One query for any number of
    plans; plans are locked in id order (no deadlock between two writers of the
    same plans). The journal only records: what follows from the events (a gate
    step that became READY waiting for a person) is the engine's
    (``graphsvc.engine.progress.record``).
    """
    rows = [
        {
            "id": new_id(),
            "plan_id": ev["plan_id"],
            "step_id": ev.get("step_id"),
            "decision_id": ev.get("decision_id"),
            "type": ev["type"],
            "from_status": ev.get("from_status"),
            "to_status": ev.get("to_status"),
            "message": ev.get("message"),
            "detail": to_json(ev.get("detail")),
            "actor": ev.get("actor"),
        }
        for ev in events
    ]
    by_plan: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_plan.setdefault(row["plan_id"], []).append(row)
    if by_plan:
        groups = [{"plan_id": pid, "events": evs} for pid, evs in sorted(by_plan.items())]
        written = tx.run(_WRITE_EVENTS, groups=groups).single(strict=True)
        steps, plans = written["steps"], written["plans"]
        tx.on_commit(lambda: count_events(steps, plans))

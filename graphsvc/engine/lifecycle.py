"""Plan transitions: start, pause, resume, cancel; and the event log of a plan."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import ConflictError, NotFoundError
from graphsvc.domain.models import EventPublic
from graphsvc.domain.states import PLAN_TERMINAL, PlanStatus, StepStatus
from graphsvc.domain.transitions import PLAN_TRANSITIONS
from graphsvc.engine.family import plan_ended, settle
from graphsvc.engine.gates import close_decisions
from graphsvc.engine.progress import mark_initial_ready, record_events
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import engine_query
from graphsvc.store.journal import list_plan_events
from graphsvc.store.locks import lock_plan

__all__ = ["cancel_descendants", "list_events", "transition_plan", "transition_tx"]

_CHILD_PLANS = engine_query("list_child_plans")
_CANCEL_BATCH = 200
_SET_STATUS = engine_query("set_plan_status")
_CANCEL_PLANS = engine_query("cancel_plans")


def transition_tx(
    tx: Tx,
    plan_id: str,
    name: str,
    actor: str | None,
    reason: str | None,
    allow_child: bool = False,
) -> PlanStatus:
    """``transition_plan`` inside the caller's transaction (without the descendants'
    cancel, which runs in transactions of its own). Same errors. ``allow_child``: a
    child plan may be started (a replan's new version of a running child plan)."""
    record = lock_plan(tx, plan_id)
    allowed, target = PLAN_TRANSITIONS[name]
    current = PlanStatus(record["status"])
    if current not in allowed:
        raise ConflictError(
            f"cannot {name} a plan that is {current.value}; allowed from "
            f"{', '.join(s.value for s in allowed)}",
            {"plan_id": plan_id, "status": current.value},
        )
    if name == "start" and record["requires_approval"] and current == PlanStatus.DRAFT:
        raise ConflictError(
            "this plan requires approval before it can start",
            {"plan_id": plan_id, "status": current.value},
        )
    if name == "start" and record["is_child"] and not allow_child:
        raise ConflictError(
            "a child plan is started by the step that spawned it, as its max_parallel allows",
            {"plan_id": plan_id, "status": current.value},
        )
    if name != "cancel":  # _cancel_plans sets the status with the steps'
        tx.run(_SET_STATUS, plan_id=plan_id, status=target.value).consume()
    events: list[dict[str, Any]] = [
        {
            "plan_id": plan_id,
            "type": f"PLAN_{name.upper()}",
            "from_status": current.value,
            "to_status": target.value,
            "actor": actor,
            "message": reason,
        }
    ]
    if name in ("start", "resume"):
        events += mark_initial_ready(tx, plan_id, actor)
    if name == "cancel":
        events += _cancel_plans(tx, [plan_id], actor, reason, plan_events=False)
        events += plan_ended(tx, plan_id, actor)
    if name == "start":
        # A plan whose steps are all already terminal (e.g. all skipped) ends at once.
        events += settle(tx, plan_id, [], False, record["on_failure"], actor)
    record_events(tx, events)
    return target


def transition_plan(
    db: Database, plan_id: str, name: str, actor: str | None = None, reason: str | None = None
) -> PlanStatus:
    """Apply plan transition ``name`` (``start``, ``pause``, ``resume``, ``cancel``).

    ``start`` makes READY every step without unsatisfied dependencies;
    ``cancel`` cancels every unfinished step and revokes its lease. Raises
    ``NotFoundError`` (unknown plan) or ``ConflictError`` (the state machine of
    DESIGN.md section 2 forbids it from the plan's status, or the plan still
    needs approval). Returns the new status.
    """
    status = db.write(transition_tx, plan_id, name, actor, reason)
    if name == "cancel":
        cancel_descendants(db, plan_id, actor, reason)
    return status


def _cancel_plans(
    tx: Tx,
    plan_ids: list[str],
    actor: str | None,
    reason: str | None,
    plan_events: bool = True,
) -> list[dict[str, Any]]:
    """Cancel the live plans of ``plan_ids`` and their unfinished steps (leases revoked)
    in one query; returns the events (the plans' own too with ``plan_events``)."""
    events: list[dict[str, Any]] = []
    for row in tx.run(_CANCEL_PLANS, plan_ids=plan_ids, reason=reason):
        if plan_events:
            events.append(
                {
                    "plan_id": row["plan_id"],
                    "type": "PLAN_CANCEL",
                    "from_status": row["old"],
                    "to_status": PlanStatus.CANCELLED.value,
                    "actor": actor,
                    "message": reason or "an ancestor plan was cancelled",
                }
            )
        events += [
            {
                "plan_id": row["plan_id"],
                "step_id": c["id"],
                "type": "STEP_CANCELLED",
                "from_status": c["old"],
                "to_status": PlanStatus.CANCELLED.value,
                "actor": actor,
                "message": reason,
            }
            for c in row["steps"]
        ]
        waiting = [c["id"] for c in row["steps"] if c["old"] == StepStatus.WAITING]
        events += close_decisions(tx, waiting, reason or "the plan was cancelled", actor)
    return events


def _cancel_batch(tx: Tx, plan_ids: list[str], actor: str | None, reason: str | None) -> None:
    record_events(tx, _cancel_plans(tx, sorted(plan_ids), actor, reason))


def cancel_descendants(
    db: Database, plan_id: str, actor: str | None = None, reason: str | None = None
) -> int:
    """Cancel every live plan below ``plan_id`` (child plans, theirs, and so on), level by
    level, in transactions of at most 200 plans, so that trees of any size cancel in
    bounded transactions. Plans spawned while it runs are found by the next pass.
    Returns how many plans it cancelled."""
    cancelled = 0
    while True:
        live: list[str] = []
        level = [plan_id]
        while level:
            rows = db.read(lambda tx, ids=level: tx.run(_CHILD_PLANS, plan_ids=ids).data())
            level = [r["id"] for r in rows]
            live += [r["id"] for r in rows if PlanStatus(r["status"]) not in PLAN_TERMINAL]
        if not live:
            return cancelled
        for start in range(0, len(live), _CANCEL_BATCH):
            db.write(_cancel_batch, live[start : start + _CANCEL_BATCH], actor, reason)
        cancelled += len(live)


def list_events(
    db: Database,
    plan_id: str,
    after: int = 0,
    limit: int = 1000,
) -> list[EventPublic]:
    """A plan's events with ``seq > after``, in order, at most ``limit``. 404 if no plan."""

    events = list_plan_events(db, plan_id, after, limit)
    if events is None:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return [EventPublic.model_validate(e) for e in events]

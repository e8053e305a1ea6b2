"""Reconciliation: repair drift between the incremental readiness bookkeeping and the
from-scratch answer (``cypher/engine/find_startable_steps.cypher``, which
``cypher/get_ready_steps.cypher`` answers alike for people).

Readiness is kept incrementally (a step's dependents are re-checked when it
finishes) and each plan counts its unfinished steps and critical failures.
Should anything ever leave them out of step (a crash between versions, a
hand edit in Browser), ``reconcile`` sets them right: it runs at API
start-up and can be called at any time. One transaction per plan, each
plan locked first, so it is safe alongside live workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphsvc._errors import NotFoundError
from graphsvc.domain.states import PLAN_TERMINAL, PlanStatus, StepStatus
from graphsvc.engine.family import settle
from graphsvc.engine.progress import lock_counters, record_events, startable
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_plan

__all__ = ["ReconcileReport", "reconcile"]

ACTOR = "reconciler"

_LIVE_PLANS = engine_query("list_live_plans")
_COUNT_STEPS = engine_query("count_plan_steps")
_SET_COUNTS = engine_query("set_plan_counters")
_SET_STATUS = engine_query("set_step_statuses")
_READY_OF_PLAN = engine_query("get_plan_readiness")


@dataclass
class ReconcileReport:
    """What a reconciliation changed: steps made READY, steps put back to PENDING,
    plans whose counters were corrected, plans that reached their end."""

    plans_checked: int = 0
    made_ready: list[str] = field(default_factory=list)
    made_pending: list[str] = field(default_factory=list)
    counters_fixed: list[str] = field(default_factory=list)
    plans_finished: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.made_ready or self.made_pending or self.counters_fixed or self.plans_finished
        )


def _set_status(
    tx: Tx,
    plan_id: str,
    step_ids: list[str],
    old: StepStatus,
    new: StepStatus,
) -> tuple[list[str], list[dict[str, Any]]]:
    changed = [
        r["id"]
        for r in tx.run(_SET_STATUS, step_ids=step_ids, from_status=old.value, to_status=new.value)
    ]
    events = [
        {
            "plan_id": plan_id,
            "step_id": sid,
            "type": "STEP_READY" if new == StepStatus.READY else "STEP_BLOCKED",
            "from_status": old.value,
            "to_status": new.value,
            "actor": ACTOR,
            "message": "reconciled with the steps that may run, from scratch",
        }
        for sid in changed
    ]
    return changed, events


def _reconcile_plan(tx: Tx, plan_id: str) -> ReconcileReport:
    # The report is built inside the transaction function, so a retried
    # transaction (deadlock, leader switch) starts from an empty one.
    report = ReconcileReport(plans_checked=1)
    try:
        plan = lock_plan(tx, plan_id)
    except NotFoundError:
        return report
    # Completions count on stripes without the plan's lock: lock them before counting,
    # then read the plan's count again, with what the completions in flight counted.
    lock_counters(tx, plan_id)
    plan = lock_plan(tx, plan_id)
    plan.update(tx.run(_COUNT_STEPS, plan_id=plan_id).single(strict=True).data())
    status = PlanStatus(plan["status"])
    if status in PLAN_TERMINAL:
        return report
    if (plan["unfinished"], plan["failed_critical"]) != (plan["live"], plan["critical"]):
        tx.run(
            _SET_COUNTS,
            plan_id=plan_id,
            unfinished=plan["live"],
            failed_critical=plan["critical"],
        ).consume()
        report.counters_fixed.append(plan_id)
    ready_now = {r["id"] for r in tx.run(_READY_OF_PLAN, plan_id=plan_id)}
    running = status in (PlanStatus.EXECUTING, PlanStatus.PAUSED)
    should = startable(tx, plan_id) if running else {}  # a plan not started has none READY
    to_ready = sorted(sid for sid, st in should.items() if st == StepStatus.PENDING.value)
    to_pending = sorted(ready_now - set(should))
    made_ready, events = _set_status(tx, plan_id, to_ready, StepStatus.PENDING, StepStatus.READY)
    made_pending, more = _set_status(tx, plan_id, to_pending, StepStatus.READY, StepStatus.PENDING)
    events += more
    report.made_ready += made_ready
    report.made_pending += made_pending
    if status in (PlanStatus.EXECUTING, PlanStatus.PAUSED):
        finished = settle(tx, plan_id, [], False, plan["on_failure"], ACTOR)
        if any(e["type"].startswith("PLAN_") and e["plan_id"] == plan_id for e in finished):
            report.plans_finished.append(plan_id)
        events += finished
    record_events(tx, events)
    return report


def reconcile(db: Database, plan_ids: list[str] | None = None) -> ReconcileReport:
    """Repair every live plan (or those of ``plan_ids``): READY exactly where
    ``startable`` says a step may run, PENDING where it may not, the
    ``unfinished`` / ``failed_critical`` counters recounted, and a plan whose
    steps are all terminal brought to COMPLETED or FAILED. Each repair writes an
    event with actor ``reconciler``. Returns what changed."""
    if plan_ids is None:
        plan_ids = [r["id"] for r in db.read(lambda tx: tx.run(_LIVE_PLANS).data())]
    report = ReconcileReport()
    for plan_id in plan_ids:
        one: ReconcileReport = db.write(_reconcile_plan, plan_id)
        report.plans_checked += one.plans_checked
        report.made_ready += one.made_ready
        report.made_pending += one.made_pending
        report.counters_fixed += one.counters_fixed
        report.plans_finished += one.plans_finished
    return report

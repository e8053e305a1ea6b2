"""What follows a step reaching a terminal status: readiness of its dependents and the
plan's own end. Costs follow the work: only the finished steps' dependents are
re-checked, and the plan keeps a count of unfinished steps (``unfinished``) and
of critical failures (``failed_critical``) so its end is known without a scan.
"""

from __future__ import annotations

from typing import Any

from graphsvc.domain.rules import PLAN_COUNTER_STRIPES
from graphsvc.domain.states import SATISFIED_DEPENDENCY, PlanStatus, StepStatus
from graphsvc.engine.gates import (
    GATE_KINDS,
    close_decisions,
    close_requests_of_ended_plans,
    gate_events,
)
from graphsvc.store._db import Tx
from graphsvc.store._events import write_plan_events
from graphsvc.store._queries import engine_query

__all__ = [
    "after_terminal",
    "lock_counters",
    "mark_initial_ready",
    "mark_ready",
    "ready_events",
    "recheck",
    "record_events",
    "startable",
]

_PROPAGATE = engine_query("find_dependents")

_FINALIZE = engine_query("finish_plan")
_LOCK_COUNTERS = engine_query("lock_plan_counters")

_FAIL_FAST = engine_query("fail_plan_fast")


def record_events(tx: Tx, events: list[dict[str, Any]]) -> None:
    """Take the step of progress ``events`` call for, then journal them all: each gate
    step (approval, human_input) they made READY opens, going WAITING for a person
    (``gates.gate_events``), in the same transaction. Commands whose events make no
    step READY, or that opened the gates already (a claim must, before it claims),
    write to the journal directly (``store._events.write_plan_events``). A plan they
    end closes the changes still waiting for approval in it
    (``gates.close_requests_of_ended_plans``)."""
    events = events + gate_events(tx, events)
    write_plan_events(tx, events + close_requests_of_ended_plans(tx, events))


def mark_ready(tx: Tx, step_ids: list[str]) -> list[dict[str, Any]]:
    """Make READY every PENDING dependent of ``step_ids`` whose dependencies are all
    satisfied, in running plans; returns the events to write."""
    if not step_ids:
        return []
    rows = tx.run(_PROPAGATE, step_ids=step_ids, satisfied=sorted(SATISFIED_DEPENDENCY)).data()
    return ready_events(rows)


def ready_events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of dependents made READY, from rows ``{id, kind, plan_id}``."""
    return [
        {
            "plan_id": r["plan_id"],
            "step_id": r["id"],
            "kind": r["kind"],
            "type": "STEP_READY",
            "from_status": StepStatus.PENDING.value,
            "to_status": StepStatus.READY.value,
        }
        for r in rows
    ]


_SET_READY = engine_query("set_steps_ready")
_STARTABLE = engine_query("find_startable_steps")


_RECHECK = engine_query("recheck_steps")


def recheck(tx: Tx, step_ids: list[str], actor: str | None) -> list[dict[str, Any]]:
    """Re-derive READY or PENDING for the not-started steps among ``step_ids`` after their
    dependencies changed (added, removed, re-armed): READY when every dependency
    is satisfied and the plan runs, else PENDING. Returns the events to write."""
    rows = tx.run(_RECHECK, step_ids=step_ids, satisfied=sorted(SATISFIED_DEPENDENCY))
    return [
        {
            "plan_id": r["plan_id"],
            "step_id": r["id"],
            "type": "STEP_READY" if r["new"] == StepStatus.READY.value else "STEP_BLOCKED",
            "from_status": r["old"],
            "to_status": r["new"],
            "actor": actor,
        }
        for r in rows
    ]


def startable(tx: Tx, plan_id: str) -> dict[str, str]:
    """The not-started steps of ``plan_id`` that may run now, computed from scratch
    (``find_startable_steps``): their statuses by id, in step order."""
    found = tx.run(_STARTABLE, plan_id=plan_id, satisfied=sorted(SATISFIED_DEPENDENCY))
    return {r["id"]: r["status"] for r in found}


def mark_initial_ready(tx: Tx, plan_id: str, actor: str | None) -> list[dict[str, Any]]:
    """When a plan starts or resumes: make READY every PENDING step that may run,
    computed from scratch (``find_startable_steps``; ``cypher/get_ready_steps.cypher``
    answers the same for people).
    Returns the events to write."""
    candidates = [
        sid for sid, status in startable(tx, plan_id).items() if status == StepStatus.PENDING
    ]
    ready = [r["id"] for r in tx.run(_SET_READY, step_ids=candidates)]
    return [
        {
            "plan_id": plan_id,
            "step_id": sid,
            "type": "STEP_READY",
            "from_status": StepStatus.PENDING.value,
            "to_status": StepStatus.READY.value,
            "actor": actor,
        }
        for sid in ready
    ]


def lock_counters(tx: Tx, plan_id: str) -> None:
    """Lock the plan's counter stripes (``lock_plan_counters``): completions in flight
    commit first, and what this transaction reads of the plan's counts includes them."""
    tx.run(_LOCK_COUNTERS, plan_id=plan_id, stripes=PLAN_COUNTER_STRIPES).consume()


def after_terminal(
    tx: Tx,
    plan_id: str,
    step_ids: list[str],
    critical_failure: bool,
    on_failure: str,
    actor: str | None,
) -> tuple[list[dict[str, Any]], PlanStatus | None]:
    """Follow-ups of ``step_ids`` having become terminal (counters already updated):
    dependents made READY, FAIL_FAST on a critical failure, the plan's end.
    Returns the events to write and the plan's new status if it just ended.
    (Callers use ``family.settle``, which also carries a child plan's end to
    the step that spawned it.)"""
    events = mark_ready(tx, step_ids)
    if critical_failure and on_failure == "FAIL_FAST":
        record = tx.run(_FAIL_FAST, plan_id=plan_id, gate_kinds=list(GATE_KINDS)).single()
        if record is not None:
            events.append(
                {
                    "plan_id": plan_id,
                    "type": "PLAN_FAILED",
                    "actor": actor,
                    "from_status": record["old_status"],
                    "to_status": PlanStatus.FAILED.value,
                    "message": "a critical step failed with no retries left",
                }
            )
            events += [
                {
                    "plan_id": plan_id,
                    "step_id": c["id"],
                    "type": "STEP_CANCELLED",
                    "from_status": c["old"],
                    "to_status": StepStatus.CANCELLED.value,
                    "actor": actor,
                    "message": "the plan failed (FAIL_FAST)",
                }
                for c in record["cancelled"]
            ]
            waiting = [c["id"] for c in record["cancelled"] if c["old"] == StepStatus.WAITING]
            events += close_decisions(tx, waiting, "the plan failed", actor)
            return events, PlanStatus.FAILED
        return events, None
    lock_counters(tx, plan_id)
    finished = tx.run(_FINALIZE, plan_id=plan_id).single()
    if finished is not None:
        events.append(
            {
                "plan_id": plan_id,
                "type": f"PLAN_{finished['new']}",
                "actor": actor,
                "from_status": finished["old"],
                "to_status": finished["new"],
            }
        )
        return events, PlanStatus(finished["new"])
    return events, None

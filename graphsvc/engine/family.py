"""Plan families (DESIGN.md section 3, "Child plans"): a step that spawned child plans
waits while they run, at most ``max_parallel`` at a time in creation order, and
finishes when they all have.

``settle`` is what every write that ends steps calls: it applies the plan's own
follow-ups (``progress.after_terminal``) and, when that ends a child plan,
carries it up: the next sibling starts, or the spawning step completes (its
children's changesets merged) or fails, which may in turn end its plan, and
so on up the family, all in the caller's transaction.
"""

from __future__ import annotations

import json
from typing import Any

from graphsvc.domain.changesets import merge_changesets
from graphsvc.domain.rules import child_outcome
from graphsvc.domain.states import PlanStatus, StepStatus
from graphsvc.engine.progress import after_terminal
from graphsvc.store._convert import to_json
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = ["carry", "plan_ended", "schedule_children", "settle"]

_PARENT_OF = engine_query("get_spawning_step")
_LOCK_SPAWNER = engine_query("lock_spawning_step")
_START_CHILDREN = engine_query("start_child_plans")
_CHILD_RESULTS = engine_query("get_child_results")
_CHILDREN_DONE = engine_query("end_waiting_step")

_RUNNING = (PlanStatus.APPROVED.value, PlanStatus.EXECUTING.value, PlanStatus.PAUSED.value)

FollowUp = tuple[str, list[str], bool, str]  # plan_id, ended step ids, critical failure, policy


def settle(
    tx: Tx,
    plan_id: str,
    step_ids: list[str],
    critical_failure: bool,
    on_failure: str,
    actor: str | None,
) -> list[dict[str, Any]]:
    """Follow-ups of ``step_ids`` of ``plan_id`` having become terminal, carried up the
    family as far as they go. Returns the events to write."""
    return carry(tx, [(plan_id, step_ids, critical_failure, on_failure)], actor)


def plan_ended(tx: Tx, plan_id: str, actor: str | None) -> list[dict[str, Any]]:
    """``plan_id`` was ended by a coordinator (cancelled): carry it up to the step that
    spawned it, if any. Returns the events to write."""
    events, follow = child_plan_ended(tx, plan_id, actor)
    return events + carry(tx, follow, actor)


def carry(tx: Tx, queue: list[FollowUp], actor: str | None) -> list[dict[str, Any]]:
    """Apply each follow-up, and those they lead to, until none is left; the events."""
    events: list[dict[str, Any]] = []
    while queue:
        pid, sids, critical, policy = queue.pop(0)
        more, ended = after_terminal(tx, pid, sids, critical, policy, actor)
        events += more
        if ended is not None:
            more, follow = child_plan_ended(tx, pid, actor)
            events += more
            queue += follow
    return events


def child_plan_ended(
    tx: Tx, plan_id: str, actor: str | None
) -> tuple[list[dict[str, Any]], list[FollowUp]]:
    """``plan_id`` reached a terminal status: if a step spawned it, schedule that
    step's children again (start the next, or finish the step)."""
    parent = tx.run(_PARENT_OF, plan_id=plan_id).single()
    if parent is None:
        return [], []
    return schedule_children(tx, parent["id"], actor)


def schedule_children(
    tx: Tx, step_id: str, actor: str | None
) -> tuple[list[dict[str, Any]], list[FollowUp]]:
    """For a WAITING step: start children (creation order) while fewer than its
    ``max_parallel_children`` run; when all are terminal, complete the step with
    the merged changesets or fail it. Returns events and the follow-ups of the
    step's plan (when the step finished)."""
    record = tx.run(_LOCK_SPAWNER, step_id=step_id).single()
    if record is None or record["step"]["status"] != StepStatus.WAITING.value:
        return [], []  # the step was cancelled or skipped meanwhile: nothing to carry up
    step, plan, children = record["step"], record["plan"], record["children"]
    events: list[dict[str, Any]] = []
    running = sum(1 for c in children if c["status"] in _RUNNING)
    waiting = [c for c in children if c["status"] == PlanStatus.DRAFT.value]
    starting = waiting[: max(0, (step["max_parallel_children"] or 1) - running)]
    if starting:
        # A plan has at least one step, so a child that just started cannot have ended.
        rows = tx.run(_START_CHILDREN, plan_ids=[c["id"] for c in starting])
        for row in rows:
            events.append(
                {
                    "plan_id": row["plan_id"],
                    "type": "PLAN_START",
                    "from_status": PlanStatus.DRAFT.value,
                    "to_status": PlanStatus.EXECUTING.value,
                    "actor": actor,
                    "message": f"started as a child of step {step_id}",
                }
            )
            events += [
                {
                    "plan_id": row["plan_id"],
                    "step_id": sid,
                    "type": "STEP_READY",
                    "from_status": StepStatus.PENDING.value,
                    "to_status": StepStatus.READY.value,
                    "actor": actor,
                }
                for sid in row["ready"]
            ]
        return events, []
    if any(c["status"] in (*_RUNNING, PlanStatus.DRAFT.value) for c in children):
        return events, []
    return _finish_spawner(tx, step, plan, children, actor)


def _finish_spawner(
    tx: Tx,
    step: dict[str, Any],
    plan: dict[str, Any],
    children: list[dict[str, Any]],
    actor: str | None,
) -> tuple[list[dict[str, Any]], list[FollowUp]]:
    ids = [c["id"] for c in children]
    results = {r["plan_id"]: r["steps"] for r in tx.run(_CHILD_RESULTS, plan_ids=ids)}
    summary = [{"plan_id": c["id"], "name": c["name"], "status": c["status"]} for c in children]
    outputs: dict[str, Any] = {"child_plan_ids": ids, "children": summary}
    if len(ids) == 1:
        outputs["child_plan_id"] = ids[0]
    if step.get("spawn_summary"):
        outputs["summary"] = step["spawn_summary"]
    error: str | None = None
    merged: dict[str, Any] = {}
    unfinished = [c for c in children if c["status"] != PlanStatus.COMPLETED.value]
    if unfinished:
        error = "; ".join(child_outcome(c, results.get(c["id"], [])) for c in unfinished)
    else:
        parts = [
            (f"{c['name']!r} ({c['id']}) step {s['key']}", json.loads(s["changeset"]))
            for c in children
            for s in results.get(c["id"], [])
            if s["changeset"] and s["status"] == StepStatus.COMPLETED.value
        ]
        merged, conflicts = merge_changesets(parts)
        if conflicts:
            error = "changeset conflict between child plans: " + "; ".join(
                str(c) for c in conflicts
            )
            outputs["conflicts"] = [{"key": c.key, "sources": list(c.values)} for c in conflicts]
    status = StepStatus.FAILED if error else StepStatus.COMPLETED
    tx.run(
        _CHILDREN_DONE,
        step_id=step["id"],
        status=status.value,
        outputs=to_json(outputs),
        changeset=to_json(merged),
        error=error,
    ).consume()
    events = [
        {
            "plan_id": plan["id"],
            "step_id": step["id"],
            "type": "STEP_COMPLETED" if status == StepStatus.COMPLETED else "STEP_FAILED",
            "from_status": StepStatus.WAITING.value,
            "to_status": status.value,
            "actor": actor,
            "message": error or f"{len(ids)} child plan(s) completed",
        }
    ]
    critical = status == StepStatus.FAILED and bool(step["is_critical"])
    return events, [(plan["id"], [step["id"]], critical, plan["on_failure"])]

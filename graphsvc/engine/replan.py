"""Replan (issue 21; DESIGN.md section 8): a plan is replaced by its next version in one
transaction. The new plan ``SUPERSEDES`` the old one, which becomes SUPERSEDED with its
unfinished steps CANCELLED; the steps of the new version that repeat COMPLETED steps of
the old one are carried over (``domain.rules.carried_over``), not run again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphsvc._errors import ConflictError, Problem, ValidationFailed
from graphsvc.domain.models import PlanCreated, PlanSpec
from graphsvc.domain.rules import carried_over, check_changeable
from graphsvc.domain.states import STEP_TERMINAL, PlanStatus, StepStatus
from graphsvc.engine import lifecycle
from graphsvc.engine.gates import close_decisions, request_plan_approval
from graphsvc.engine.progress import record_events
from graphsvc.ids import new_id
from graphsvc.store._db import Database, Tx
from graphsvc.store._modifications import Actor, ModificationType, record_modification
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_plan, lock_steps
from graphsvc.store.plans import NewPlan, write_plans

__all__ = ["Replanned", "replan"]

_OLD_STEPS = engine_query("get_replan_steps")
_CARRY = engine_query("carry_over_steps")
_SUPERSEDE = engine_query("supersede_plan")
_REPLACED = "the plan was replaced by a new version"


@dataclass(frozen=True)
class Replanned:
    """What a replan did: the new plan (as a submission answers), the plan it supersedes
    and the keys of the steps carried over."""

    created: PlanCreated
    supersedes: str
    carried_over: list[str] = field(default_factory=list)


def replan(
    db: Database, plan_id: str, spec: PlanSpec, actor: Actor, reason: str | None = None
) -> Replanned:
    """Replace the live plan ``plan_id`` by a new version built from ``spec``.

    In one transaction: the new plan is created (its ``version`` the old one's plus
    one), its steps that repeat COMPLETED steps of the old plan are created COMPLETED
    with their outputs and changeset, ``CARRIED_OVER_FROM`` them; the old plan becomes
    SUPERSEDED, its unfinished steps CANCELLED (leases revoked; waiting gates' decisions
    closed), and ``(new)-[:SUPERSEDES]->(old)``; a child plan's version takes its place
    under the step that spawned it; a ``REPLAN`` modification is recorded on both. If the
    old plan was EXECUTING (or was a started child plan, paused or not), the new one
    starts at once (and may end at once, when every step was carried over); a spec that
    ``requires_approval`` waits for it instead, DRAFT with a PENDING ``EXECUTE`` decision.
    Then the child plans of the old plan's steps are cancelled. Raises
    ``NotFoundError``, ``ValidationFailed`` (a child plan's version that requires
    approval), or ``ConflictError`` for a plan that has ended or forbids changes."""
    new_plan_id = new_id()
    ids = {step.key: new_id() for step in spec.steps}

    def work(tx: Tx) -> tuple[PlanStatus, list[str]]:
        # Steps before their plan, as claims and completions lock them: the old plan's
        # unfinished steps (which it cancels), then the plan.
        unfinished = [
            s["id"]
            for s in tx.run(_OLD_STEPS, plan_id=plan_id).data()
            if s["status"] not in STEP_TERMINAL
        ]
        lock_steps(tx, unfinished)
        old = lock_plan(tx, plan_id)
        check_changeable(old)
        if spec.requires_approval and old["is_child"]:
            raise ValidationFailed(
                [Problem("spec.requires_approval", "a child plan cannot require approval")]
            )
        old_steps = tx.run(_OLD_STEPS, plan_id=plan_id).data()  # read again under the locks
        carry = carried_over(spec.steps, old_steps)
        version = int(old.get("version") or 1) + 1
        write_plans(tx, [NewPlan(new_plan_id, spec, ids, {"version": version})], actor.id)
        if carry:
            rows = [{"id": ids[key], "from_id": old_id} for key, old_id in carry.items()]
            tx.run(_CARRY, plan_id=new_plan_id, rows=rows).consume()
        superseded = tx.run(_SUPERSEDE, old_id=plan_id, new_id=new_plan_id).single()
        if superseded is None:  # cannot happen under the lock; refuse rather than guess
            raise ConflictError("the plan cannot be superseded now", {"plan_id": plan_id})
        events = _supersede_events(tx, plan_id, superseded, actor, reason)
        events += [
            {
                "plan_id": new_plan_id,
                "step_id": ids[key],
                "type": "STEP_CARRIED_OVER",
                "to_status": StepStatus.COMPLETED.value,
                "actor": actor.id,
                "message": f"carried over from step {old_id} of plan {plan_id}",
            }
            for key, old_id in carry.items()
        ]
        old_view = {"plan_id": plan_id}
        new_view = {"plan_id": new_plan_id, "carried_over": sorted(carry)}
        for where in (plan_id, new_plan_id):
            events.append(
                record_modification(
                    tx, where, None, ModificationType.REPLAN, actor, reason, old_view, new_view
                )
            )
        if spec.requires_approval:
            events.append(request_plan_approval(tx, new_plan_id))
        record_events(tx, events)
        status = PlanStatus.DRAFT
        was = superseded["old_status"]
        # A running plan's version starts at once; so does a started child plan's, paused
        # or not (the step that spawned it waits for it; nothing else would start it). One
        # that requires approval waits for it, DRAFT.
        running = was == PlanStatus.EXECUTING or (old["is_child"] and was == PlanStatus.PAUSED)
        if running and not spec.requires_approval:
            # Started as any plan is: its READY steps, and its end if all were carried over.
            status = lifecycle.transition_tx(
                tx, new_plan_id, "start", actor.id, reason, allow_child=True
            )
        return status, sorted(carry)

    status, carried = db.write(work)
    lifecycle.cancel_descendants(db, plan_id, actor.id, _REPLACED)
    created = PlanCreated(
        id=new_plan_id,
        name=spec.name,
        status=status,
        step_count=len(spec.steps),
        step_ids=ids,
    )
    return Replanned(created=created, supersedes=plan_id, carried_over=carried)


def _supersede_events(
    tx: Tx, plan_id: str, row: Any, actor: Actor, reason: str | None
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {
            "plan_id": plan_id,
            "type": "PLAN_SUPERSEDED",
            "from_status": row["old_status"],
            "to_status": PlanStatus.SUPERSEDED.value,
            "actor": actor.id,
            "message": reason,
        }
    ]
    events += [
        {
            "plan_id": plan_id,
            "step_id": s["id"],
            "type": "STEP_CANCELLED",
            "from_status": s["old"],
            "to_status": StepStatus.CANCELLED.value,
            "actor": actor.id,
            "message": _REPLACED,
        }
        for s in row["steps"]
    ]
    waiting = [s["id"] for s in row["steps"] if s["old"] == StepStatus.WAITING]
    return events + close_decisions(tx, waiting, _REPLACED, actor.id)

"""Decisions and the people who decide (DESIGN.md sections 1-3): record a decision,
list them, approve or reject one (``(:User)-[:APPROVES|REJECTS]->(:Decision)``) with
its effect on the plan or step it gates, and human input to a waiting step."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from graphsvc._errors import ConflictError, NotFoundError, ValidationFailed
from graphsvc.domain.models import DecisionPublic, DecisionSpec
from graphsvc.domain.states import PlanStatus, StepStatus
from graphsvc.engine import approvals
from graphsvc.engine.family import settle
from graphsvc.engine.gates import close_decisions
from graphsvc.engine.lifecycle import transition_tx
from graphsvc.engine.progress import record_events
from graphsvc.ids import new_id
from graphsvc.store._convert import node_props, to_json
from graphsvc.store._db import Database, Tx
from graphsvc.store._exists import missing_ids
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_step

log = logging.getLogger("graphsvc.sweeper")

__all__ = ["create_decision", "decide", "expire_deadlines", "list_decisions", "provide_input"]

_CREATE = engine_query("create_decision")
_LIST = engine_query("list_decisions")
_LOCK = engine_query("lock_decision")
_VIEW_BY_ID = engine_query("get_decision")
_DECIDE = engine_query("answer_decision")
_APPROVE_PLAN = engine_query("approve_plan")
_GATE_DONE = engine_query("end_gate_step")
_PASSED = engine_query("find_passed_deadlines")

_LABELS = {
    "analysis_id": "Analysis",
    "plan_id": "ExecutionPlan",
    "step_id": "ExecutionStep",
    "message_id": "Message",
    "escalate_to": "User",
}


def create_decision(db: Database, spec: DecisionSpec, actor: str | None = None) -> str:
    """Record a decision with its links (``INFORMS_DECISION`` from an analysis,
    ``AFFECTS_PLAN``, ``AFFECTS_STEP``, ``DECIDES_ON`` a message, ``ESCALATES_TO`` a
    user). PENDING when it ``requires_approval``, else APPROVED (nothing to wait
    for). Returns its id. ``ValidationFailed`` names every id that does not exist
    (nothing written)."""
    decision_id = new_id()
    links = {field: (label, getattr(spec, field)) for field, label in _LABELS.items()}

    def work(tx: Tx) -> str:
        missing = missing_ids(tx, links)
        if missing:
            raise ValidationFailed(missing)
        status = "PENDING" if spec.requires_approval else "APPROVED"
        record = tx.run(
            _CREATE,
            id=decision_id,
            type=spec.type.value,
            action=spec.action,
            parameters_json=to_json(spec.parameters),
            reasoning=spec.reasoning,
            question=spec.clarification_question,
            confidence=spec.confidence,
            requires_approval=spec.requires_approval,
            status=status,
            analysis_id=spec.analysis_id,
            plan_id=spec.plan_id,
            step_id=spec.step_id,
            message_id=spec.message_id,
            escalate_to=spec.escalate_to,
            recorded_by=actor,
        ).single(strict=True)
        if record["plan_id"]:
            record_events(
                tx,
                [
                    {
                        "plan_id": record["plan_id"],
                        "step_id": spec.step_id,
                        "decision_id": decision_id,
                        "type": "DECISION_RECORDED",
                        "to_status": status,
                        "actor": actor,
                        "message": f"{spec.type.value}: {spec.action}",
                    }
                ],
            )
        return decision_id

    return db.write(work)


def list_decisions(
    db: Database,
    status: str | None = None,
    limit: int = 100,
    plan_id: str | None = None,
    decision_type: str | None = None,
) -> list[DecisionPublic]:
    """Decisions newest first, with the plan and step they affect; ``status``,
    ``decision_type`` and ``plan_id`` (a decision about one of its steps counts) filter."""
    rows = db.read(
        lambda tx: tx.run(
            _LIST, status=status, limit=limit, plan_id=plan_id, type=decision_type
        ).data()
    )
    return [DecisionPublic.model_validate(node_props(r["decision"])) for r in rows]


def _gate_done(
    tx: Tx,
    step_id: str,
    status: StepStatus,
    outputs: dict[str, Any] | None,
    error: str | None,
    actor: str,
    decision_id: str | None = None,
) -> list[dict[str, Any]]:
    row = tx.run(
        _GATE_DONE, step_id=step_id, status=status.value, outputs=to_json(outputs), error=error
    ).single()
    if row is None:
        return []
    events: list[dict[str, Any]] = [
        {
            "plan_id": row["plan_id"],
            "step_id": step_id,
            "decision_id": decision_id,
            "type": f"STEP_{status.value}",
            "from_status": StepStatus.WAITING.value,
            "to_status": status.value,
            "actor": actor,
            "message": error,
        }
    ]
    critical = status == StepStatus.FAILED and bool(row["critical"])
    return events + settle(tx, row["plan_id"], [step_id], critical, row["on_failure"], actor)


DEADLINE_PASSED = "deadline passed"


def expire_deadlines(db: Database, limit: int = 100) -> int:
    """Fail the waiting gate steps (approval, human_input) whose ``deadline_seconds`` has
    passed: each FAILS with "deadline passed" and its PENDING decision is closed
    (REJECTED) with the same note, then the plan moves on as after any failure. Each
    step is locked and checked again first (a person may have answered meanwhile).
    Returns how many it failed."""
    ids = db.read(lambda tx: [r["id"] for r in tx.run(_PASSED, limit=limit)])
    failed = 0
    for step_id in ids:
        try:
            failed += db.write(_expire, step_id)
        except Exception:  # one step's trouble must not hold back the others' deadlines
            log.exception("could not end the waiting step %s past its deadline", step_id)
    return failed


def _expire(tx: Tx, step_id: str) -> bool:
    step, _ = lock_step(tx, step_id)
    deadline = step.get("wait_deadline")
    if step["status"] != StepStatus.WAITING or deadline is None or deadline > datetime.now(UTC):
        return False
    events = close_decisions(tx, [step_id], DEADLINE_PASSED, "sweeper")
    decision_id = events[0]["decision_id"] if events else None
    events += _gate_done(
        tx, step_id, StepStatus.FAILED, None, DEADLINE_PASSED, "sweeper", decision_id
    )
    record_events(tx, events)
    return True


def decide(
    db: Database,
    decision_id: str,
    approve: bool,
    user_id: str,
    user_name: str | None = None,
    comment: str | None = None,
    start: bool = False,
) -> DecisionPublic:
    """Approve or reject a PENDING decision, and apply it.

    An APPROVAL decision on a waiting ``approval`` step completes the step
    (approve) or fails it with the comment as its error (reject). An EXECUTE
    decision on a plan that awaits approval makes it APPROVED (``approved_at``)
    and, with ``start``, EXECUTING; rejected, the plan is CANCELLED. A MODIFY_PLAN
    decision applies its requested change in the same transaction (``engine.approvals``;
    REJECTED with the reason when it no longer applies), or rejects it. Raises
    ``NotFoundError``, or ``ConflictError`` when the decision was already
    decided (deciding twice is refused).
    """
    status = "APPROVED" if approve else "REJECTED"

    def work(tx: Tx, why: str | None = None) -> DecisionPublic:
        record = tx.run(_LOCK, id=decision_id).single()
        if record is None:
            raise NotFoundError(f"no decision with id {decision_id!r}", {"id": decision_id})
        decision = node_props(record["decision"])
        if decision["status"] != "PENDING":
            raise ConflictError(
                f"this decision is already {decision['status']}",
                {"decision_id": decision_id, "status": decision["status"]},
            )
        if decision.get("step_id"):
            # Steps before their plan, as everywhere; a step that has left its plan (removed
            # by an approved change) has nothing left to lock, and its change no longer applies.
            with suppress(NotFoundError):
                lock_step(tx, decision["step_id"])
        tx.run(
            _DECIDE,
            id=decision_id,
            status=status,
            comment=comment,
            user_id=user_id,
            user_name=user_name,
        ).consume()
        plan_id, step_id = decision.get("plan_id"), decision.get("step_id")
        recorded = {
            "plan_id": plan_id,
            "step_id": step_id,
            "decision_id": decision_id,
            "type": f"DECISION_{status}",
            "from_status": decision["status"],
            "to_status": status,
            "actor": user_id,
            "message": comment,
        }
        if plan_id:
            record_events(tx, [recorded])
        if decision["type"] == "APPROVAL" and step_id:
            error = None if approve else f"rejected by {user_id}: {comment or 'no reason given'}"
            outputs = {"approved": approve, "decided_by": user_id, "comment": comment}
            done = StepStatus.COMPLETED if approve else StepStatus.FAILED
            record_events(tx, _gate_done(tx, step_id, done, outputs, error, user_id, decision_id))
        elif decision["type"] == "EXECUTE" and plan_id and not step_id:
            _apply_plan_decision(tx, plan_id, decision_id, approve, user_id, comment, start)
        elif decision["type"] == "MODIFY_PLAN" and decision.get("modification_id"):
            approvals.answer_change(db, tx, decision["modification_id"], approve, user_id, why)
        view = tx.run(_VIEW_BY_ID, id=decision_id).single(strict=True)["decision"]
        return DecisionPublic.model_validate(node_props(view))

    try:
        return db.write(work)
    except approvals.NoLongerApplies as stale:  # approved, but rolled back: say why
        return db.write(work, stale.reason)


def _apply_plan_decision(
    tx: Tx,
    plan_id: str,
    decision_id: str,
    approve: bool,
    user_id: str,
    comment: str | None,
    start: bool,
) -> None:
    """An EXECUTE decision on a plan awaiting approval: approved -> APPROVED (and
    started with ``start``); rejected -> CANCELLED."""
    if not approve:
        transition_tx(tx, plan_id, "cancel", user_id, f"approval rejected: {comment}")
        return
    if tx.run(_APPROVE_PLAN, plan_id=plan_id).single() is None:
        return  # not a DRAFT plan any more: nothing to approve
    approved = {
        "plan_id": plan_id,
        "decision_id": decision_id,
        "type": "PLAN_APPROVE",
        "from_status": PlanStatus.DRAFT.value,
        "to_status": PlanStatus.APPROVED.value,
        "actor": user_id,
        "message": comment,
    }
    record_events(tx, [approved])
    if start:
        transition_tx(tx, plan_id, "start", user_id, comment)


def provide_input(db: Database, step_id: str, text: str, user_id: str) -> None:
    """A person's answer to a waiting ``human_input`` step: it COMPLETES with
    ``{"text", "user_id"}`` as its outputs and its dependents proceed. Raises
    ``NotFoundError``, or ``ConflictError`` when the step is not a waiting
    ``human_input`` step."""

    def work(tx: Tx) -> None:
        step, _ = lock_step(tx, step_id)
        if step["kind"] != "human_input" or step["status"] != StepStatus.WAITING.value:
            raise ConflictError(
                f"this step takes no input: it is a {step['kind']} step that is "
                f"{step['status']} (input goes to a WAITING human_input step)",
                {"step_id": step_id, "status": step["status"]},
            )
        events = _gate_done(
            tx, step_id, StepStatus.COMPLETED, {"text": text, "user_id": user_id}, None, user_id
        )
        record_events(tx, events)

    db.write(work)

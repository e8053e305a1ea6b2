"""Changes that need approval (issue 21; DESIGN.md section 8, "Changes that need
approval"). A plan created with ``modifications_require_approval`` has each change to it
recorded as a REQUESTED ``PlanModification`` with a PENDING ``MODIFY_PLAN`` decision, and
nothing applied. Approving the decision applies the change in the same transaction, as
the requester asked it (APPLIED, the approver ``APPROVES_MODIFICATION``); a change that
no longer applies (its step started meanwhile, say) is REJECTED with the reason why.
Rejecting the decision marks the modification REJECTED."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, cast

from graphsvc._errors import GraphsvcError, NotFoundError
from graphsvc.domain.transitions import Subject, allowed_from, transition
from graphsvc.domain.validation import parse_spec
from graphsvc.engine import changes
from graphsvc.engine.progress import record_events
from graphsvc.engine.replan import replan
from graphsvc.ids import new_id
from graphsvc.store._db import Database, InTransaction, Tx
from graphsvc.store._modifications import APPLYING, Actor, ModificationType
from graphsvc.store._queries import engine_query

__all__ = ["CHANGES", "NoLongerApplies", "Requested", "answer_change", "submit"]

_TARGET = engine_query("get_change_target")
_REQUEST = engine_query("request_modification")
_ANSWER = engine_query("answer_modification")
_CLOSE_APPLIED = engine_query("close_applied_request")


class _DryRun(Exception):
    """Raised to roll back a change tried only to validate it."""


def _add_steps(db: Database, actor: Actor, reason: str | None, **a: Any) -> Any:
    return changes.add_steps(db, a["plan_id"], a["steps"], actor, reason)


def _add_step(db: Database, actor: Actor, reason: str | None, **a: Any) -> Any:
    return changes.add_step(db, a["plan_id"], a["step"], actor, reason)


def _replan(db: Database, actor: Actor, reason: str | None, **a: Any) -> Any:
    return replan(db, a["plan_id"], parse_spec(a["spec"]), actor, reason)


def _on_step(fn: Callable[..., Any], *names: str) -> Callable[..., Any]:
    """A change of one step: ``fn(db, step_id, *args named names, actor, reason)``."""

    def run(db: Database, actor: Actor, reason: str | None, **a: Any) -> Any:
        return fn(db, a["step_id"], *(a[n] for n in names), actor, reason)

    return run


# Each change by name: how to apply it, and the modification type it records.
CHANGES: dict[str, tuple[Callable[..., Any], ModificationType]] = {
    "add_step": (_add_step, ModificationType.ADD_STEP),
    "add_steps": (_add_steps, ModificationType.ADD_STEP),
    "add_dependency": (
        _on_step(changes.add_dependency, "depends_on"),
        ModificationType.ADD_DEPENDENCY,
    ),
    "remove_dependency": (
        _on_step(changes.remove_dependency, "depends_on"),
        ModificationType.REMOVE_DEPENDENCY,
    ),
    "cancel_step": (_on_step(changes.cancel_step), ModificationType.CANCEL_STEP),
    "skip_step": (_on_step(changes.skip_step), ModificationType.SKIP_STEP),
    "remove_step": (_on_step(changes.remove_step), ModificationType.REMOVE_STEP),
    "update_step": (_on_step(changes.update_step, "patch"), ModificationType.MODIFY_STEP),
    "replan": (_replan, ModificationType.REPLAN),
    "retry_step": (
        lambda db, actor, reason, **a: changes.retry_step(
            db, a["step_id"], actor, reason, a.get("reset_downstream", False)
        ),
        ModificationType.RETRY_STEP,
    ),
}


@dataclass(frozen=True)
class Requested:
    """A change recorded for approval: its REQUESTED modification and PENDING decision."""

    modification_id: str
    decision_id: str
    plan_id: str
    status: str = "REQUESTED"


def submit(
    db: Database,
    change: str,
    actor: Actor,
    reason: str | None,
    *,
    plan_id: str | None = None,
    step_id: str | None = None,
    **args: Any,
) -> Any:
    """Apply the change ``change`` (a name of ``CHANGES``) with ``args`` at once, or, when
    its plan requires approval for changes, record it as REQUESTED with a PENDING
    ``MODIFY_PLAN`` decision and return ``Requested``. The change is about ``plan_id``
    or the step ``step_id``. A change that needs approval is first tried and rolled
    back, so one that cannot apply now is refused now (what the change raises), and
    nothing is recorded."""
    apply, kind = CHANGES[change]
    call = {"plan_id": plan_id, "step_id": step_id, **args}
    # Read in a write transaction: on a cluster it goes to the leader, so a plan created a
    # moment ago through another API process is seen with its approval rule.
    target = db.write(lambda tx: tx.run(_TARGET, plan_id=plan_id, step_id=step_id).single())
    if target is None or not target["requires_approval"]:
        return apply(db, actor, reason, **call)  # an unknown plan or step: its own 404

    def dry_run(tx: Tx) -> None:
        apply(cast(Database, InTransaction(tx, db)), actor, reason, **call)
        raise _DryRun

    # The change is tried and rolled back: a bad one is refused now, not at approval.
    with suppress(_DryRun):
        db.write(dry_run)
    modification_id, decision_id = new_id(), new_id()
    request = {
        "change": change,
        "args": call,
        "actor": {"id": actor.id, "is_agent": actor.is_agent, "name": actor.name},
        "reason": reason,
    }

    def work(tx: Tx) -> None:
        tx.run(
            _REQUEST,
            id=modification_id,
            decision_id=decision_id,
            plan_id=target["plan_id"],
            step_id=step_id,
            type=kind.value,
            reason=reason,
            request=json.dumps(request),
            action=f"{change.replace('_', ' ')} ({reason or 'no reason given'})",
            actor_id=actor.id,
            actor_name=actor.name,
            is_agent=actor.is_agent,
        ).consume()
        event = {
            "plan_id": target["plan_id"],
            "step_id": step_id,
            "decision_id": decision_id,
            "actor": actor.id,
            "message": reason,
            "detail": {"modification_id": modification_id, "change": change},
        }
        record_events(
            tx,
            [
                {**event, "type": "MODIFICATION_REQUESTED", "to_status": "REQUESTED"},
                {**event, "type": "APPROVAL_REQUESTED", "to_status": "PENDING"},
            ],
        )

    db.write(work)
    return Requested(modification_id, decision_id, target["plan_id"])


def answer_change(
    db: Database,
    tx: Tx,
    modification_id: str,
    approve: bool,
    approver: str,
    why: str | None,
) -> None:
    """Inside the decision's transaction: approved, apply the requested change as its
    requester asked it, the REQUESTED modification becoming APPLIED; rejected (or, with
    ``why``, no longer applicable), mark it REJECTED. Raises ``NoLongerApplies`` when
    the change fails now (the caller rolls back and answers again with its reason)."""
    rejected = not approve or why is not None
    row = tx.run(
        _ANSWER,
        id=modification_id,
        approver_id=approver,
        approver_is_agent=False,
        rejected=rejected,
        why=why,
    ).single()
    if row is None:
        raise NotFoundError(
            f"no modification with id {modification_id!r}", {"modification_id": modification_id}
        )
    event = {
        "plan_id": row["plan_id"],
        "actor": approver,
        "message": why,
        "detail": {"modification_id": modification_id},
    }
    if rejected:
        _record_move(tx, event, "reject")
        return
    _record_move(tx, event, "approve")
    request = json.loads(row["request"])
    apply, _ = CHANGES[request["change"]]
    who = request["actor"]
    actor = Actor(who["id"], is_agent=bool(who["is_agent"]), name=who.get("name"))
    token = APPLYING.set(modification_id)
    try:
        here = cast(Database, InTransaction(tx, db))
        apply(here, actor, request.get("reason"), **request["args"])
    except GraphsvcError as error:
        raise NoLongerApplies(error) from error
    finally:
        APPLYING.reset(token)
    tx.run(_CLOSE_APPLIED, id=modification_id).consume()
    _record_move(tx, event, "apply")


def _record_move(tx: Tx, event: dict[str, Any], name: str) -> None:
    """Journal the modification's transition ``name`` of the table (its event type, from-
    and to-status) with ``event``'s plan, actor, message and detail."""
    move = transition(Subject.MODIFICATION, name)
    [from_status] = allowed_from(Subject.MODIFICATION, name)
    record_events(
        tx,
        [
            {
                **event,
                "type": move.event_type,
                "from_status": from_status,
                "to_status": move.to_status,
            }
        ],
    )


class NoLongerApplies(Exception):
    """An approved change that could not be applied any more: raised to roll back the
    decision's transaction, which is then answered again with the reason."""

    def __init__(self, error: GraphsvcError) -> None:
        super().__init__(error.message)
        self.reason = f"it no longer applies: {error.message}"

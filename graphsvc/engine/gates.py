"""Human gates (DESIGN.md section 3): an ``approval`` or ``human_input`` step that becomes
READY waits for a person instead: it goes WAITING (no lease, no timeout), and an
``approval`` step gets a PENDING ``Decision {type: APPROVAL}`` that ``AFFECTS_STEP``
it (and ``AFFECTS_PLAN`` its plan)."""

from __future__ import annotations

from typing import Any

from graphsvc.domain.models import GATE_KINDS as GATE_KINDS_SET
from graphsvc.domain.states import PLAN_TERMINAL as PLAN_TERMINAL_STATUSES
from graphsvc.ids import new_id
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = [
    "GATE_KINDS",
    "close_decisions",
    "close_requests_of_ended_plans",
    "gate_events",
    "open_gates",
    "request_plan_approval",
]

GATE_KINDS = tuple(sorted(GATE_KINDS_SET))

_OPEN_GATES = engine_query("open_gates")
_CLOSE_DECISIONS = engine_query("close_step_decisions")
_CLOSE_REQUESTS = engine_query("close_plan_requests")


def close_decisions(
    tx: Tx, step_ids: list[str], note: str, actor: str | None
) -> list[dict[str, Any]]:
    """Close the PENDING decisions about ``step_ids`` (an approval gate's, when its
    deadline passes or its plan ends): REJECTED with ``note`` as the comment. The
    events (``DECISION_REJECTED``)."""
    if not step_ids:
        return []
    rows = tx.run(_CLOSE_DECISIONS, step_ids=step_ids, note=note)
    return [
        {
            "plan_id": r["plan_id"],
            "step_id": r["step_id"],
            "decision_id": r["id"],
            "type": "DECISION_REJECTED",
            "from_status": "PENDING",
            "to_status": "REJECTED",
            "actor": actor,
            "message": note,
        }
        for r in rows
    ]


def close_requests_of_ended_plans(tx: Tx, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes still waiting for approval in the plans ``events`` end (a plan's
    transition to a terminal status) are closed, each decision and its modification
    REJECTED with the plan's end as the reason (``close_plan_requests``); their events."""
    ended = {
        e["plan_id"]: e["to_status"]
        for e in events
        if not e.get("step_id")
        and not e.get("decision_id")
        and e.get("to_status") in PLAN_TERMINAL_STATUSES
        and str(e.get("type", "")).startswith("PLAN_")
    }
    if not ended:
        return []
    notes = {
        pid: f"the plan ended ({status}) before the change was decided"
        for pid, status in sorted(ended.items())
    }
    closed: list[dict[str, Any]] = []
    for row in tx.run(_CLOSE_REQUESTS, plans=[{"id": p, "note": n} for p, n in notes.items()]):
        plan_id, note = row["plan_id"], notes[row["plan_id"]]
        moved = {"plan_id": plan_id, "to_status": "REJECTED", "actor": "graphsvc", "message": note}
        closed.append(
            {
                **moved,
                "decision_id": row["id"],
                "type": "DECISION_REJECTED",
                "from_status": "PENDING",
            }
        )
        if row["modification_id"]:
            closed.append(
                {
                    **moved,
                    "detail": {"modification_id": row["modification_id"]},
                    "type": "MODIFICATION_REJECTED",
                    "from_status": "REQUESTED",
                }
            )
    return closed


def open_gates(tx: Tx, step_ids: list[str]) -> list[dict[str, Any]]:
    """Turn the gate steps among ``step_ids`` that are READY into WAITING ones; the events."""
    ids = {sid: new_id() for sid in step_ids}
    rows = tx.run(_OPEN_GATES, step_ids=step_ids, kinds=list(GATE_KINDS), decision_ids=ids)
    return [
        {
            "plan_id": r["plan_id"],
            "step_id": r["id"],
            "type": "STEP_WAITING",
            "from_status": "READY",
            "to_status": "WAITING",
            "message": "waiting for an approval"
            if r["kind"] == "approval"
            else "waiting for input",
            "detail": {"decision_id": ids[r["id"]]} if r["kind"] == "approval" else None,
        }
        for r in rows
    ]


def gate_events(tx: Tx, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open the human gates among the steps that ``events`` made READY (``open_gates``): an
    ``approval`` or ``human_input`` step goes WAITING for a person. Returns the
    events of that; a READY event that names its step's ``kind`` is looked up only
    when that kind is a gate."""
    ready = [
        e["step_id"]
        for e in events
        if e.get("to_status") == "READY"
        and e.get("step_id")
        and e.get("kind", GATE_KINDS[0]) in GATE_KINDS  # no kind given: look it up
    ]
    return open_gates(tx, ready) if ready else []


_PLAN_APPROVAL = engine_query("request_plan_approval")


def request_plan_approval(tx: Tx, plan_id: str) -> dict[str, Any]:
    """A plan that requires approval stays DRAFT with a PENDING ``EXECUTE`` decision
    (``AFFECTS_PLAN``, informed by the analysis that created the plan); the event."""
    decision_id = new_id()
    tx.run(_PLAN_APPROVAL, plan_id=plan_id, id=decision_id).consume()
    return {
        "plan_id": plan_id,
        "decision_id": decision_id,
        "type": "APPROVAL_REQUESTED",
        "to_status": "PENDING",
        "message": "the plan requires approval before it starts",
    }

"""Human gates (DESIGN.md section 3): an ``approval`` or ``human_input`` step that becomes
READY waits for a person instead: it goes WAITING (no lease, no timeout), and an
``approval`` step gets a PENDING ``Decision {type: APPROVAL}`` that ``AFFECTS_STEP``
it (and ``AFFECTS_PLAN`` its plan)."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc.ids import new_id

__all__ = ["GATE_KINDS", "open_gates", "request_plan_approval"]

GATE_KINDS = ("approval", "human_input")

_OPEN_GATES = """
UNWIND $step_ids AS sid
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: sid, status: 'READY'})
WHERE s.kind IN $kinds
SET s.status = 'WAITING', s.started_at = datetime()
WITH p, s
FOREACH (_ IN CASE WHEN s.kind = 'approval' THEN [1] ELSE [] END |
  CREATE (d:Decision {id: $decision_ids[s.id], type: 'APPROVAL', status: 'PENDING',
                      requires_approval: true, action: 'approve step ' + s.key,
                      reasoning: s.description, timestamp: datetime()})
  CREATE (d)-[:AFFECTS_STEP]->(s)
  CREATE (d)-[:AFFECTS_PLAN]->(p))
RETURN s.id AS id, p.id AS plan_id, s.kind AS kind
"""


def open_gates(tx: neo4j.ManagedTransaction, step_ids: list[str]) -> list[dict[str, Any]]:
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


_PLAN_APPROVAL = """
MATCH (p:ExecutionPlan {id: $plan_id})
CREATE (d:Decision {id: $id, type: 'EXECUTE', status: 'PENDING', requires_approval: true,
                    action: 'start plan ' + p.name, reasoning: p.description,
                    timestamp: datetime()})
CREATE (d)-[:AFFECTS_PLAN]->(p)
WITH d
OPTIONAL MATCH (a:Analysis)-[:CREATES_PLAN]->(:ExecutionPlan {id: $plan_id})
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | CREATE (a)-[:INFORMS_DECISION]->(d))
"""


def request_plan_approval(tx: neo4j.ManagedTransaction, plan_id: str) -> dict[str, Any]:
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

"""The worker protocol in the graph: claim with a lease, start, heartbeat, complete, fail,
and the sweeper that takes back expired leases and timed-out attempts.

Locks are taken in one order everywhere (agent, steps, then the plan node) so
that concurrent claims and completions do not deadlock. A claim reads READY
steps through the status index, locks each candidate and
checks its status again under the lock, so one step goes to one claimer
however many race. Every other operation locks the step, then checks the
lease token and the from-status (DESIGN.md section 2) before it writes: a
stale token or a forbidden transition is a ``ConflictError`` that writes
nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import neo4j

from graphsvc._errors import ConflictError, NotFoundError
from graphsvc.domain.states import STEP_TRANSITIONS, StepStatus
from graphsvc.store._convert import node_props, to_json
from graphsvc.store._db import Database
from graphsvc.store._events import write_plan_events
from graphsvc.store._family import settle

__all__ = [
    "backoff_seconds",
    "check_lease",
    "claim",
    "complete",
    "fail",
    "heartbeat",
    "lock_step",
    "start",
    "sweep",
]

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 300.0

_CLAIM = """
MERGE (a:Agent {id: $agent_id})
  ON CREATE SET a.name = $agent_id
SET a.last_seen_at = datetime(), a.status = 'ACTIVE'
WITH a, $capabilities + [(a)-[:HAS_CAPABILITY]->(own:Capability) | own.name] AS capabilities
MATCH (s:ExecutionStep {status: 'READY'})
WHERE s.kind IN $kinds
  AND (s.not_before IS NULL OR s.not_before <= datetime())
  AND NOT EXISTS { (s)-[:ASSIGNED_TO {reserved: true}]->(other:Agent) WHERE other.id <> $agent_id }
  AND all(c IN [(s)-[:REQUIRES_CAPABILITY]->(cap:Capability) | cap.name] WHERE c IN capabilities)
MATCH (p:ExecutionPlan {status: 'EXECUTING'})-[:CONTAINS_STEP]->(s)
WITH a, s, p LIMIT $max_steps
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
WITH a, s, p WHERE s.status = 'READY'
OPTIONAL MATCH (s)-[old:ASSIGNED_TO]->(:Agent)
WHERE NOT coalesce(old.reserved, false)
DELETE old
WITH a, s, p
SET s.status = 'ASSIGNED', s.lease_token = randomUUID(),
    s.lease_expires_at = datetime() + duration({seconds: $lease_seconds}),
    s.attempt_deadline = CASE WHEN s.timeout_seconds IS NULL THEN null
                              ELSE datetime() + duration({seconds: s.timeout_seconds}) END,
    s.claimed_at = datetime()
CREATE (s)-[:ASSIGNED_TO]->(a)
RETURN s {.*, plan_id: p.id,
          context: head([(p)-[:EXECUTES_IN]->(c:ExecutionContext {is_active: true}) |
                         c {.id, .environment, .variables, .constraints, .resources,
                            .policies, .permissions}]),
          prior_work: [(s)-[:DEPENDS_ON]->(d:ExecutionStep) WHERE d.status = 'COMPLETED' |
                       {key: d.key, name: d.name, outputs: d.outputs}]} AS step
"""

_LOCK_STEP = """
MATCH (p:ExecutionPlan)-[:CONTAINS_STEP]->(s:ExecutionStep {id: $step_id})
SET s.lock_seq = coalesce(s.lock_seq, 0) + 1
RETURN s {.*} AS step, p {.id, .status, .on_failure, .can_modify} AS plan
"""

_START = """
MATCH (s:ExecutionStep {id: $step_id})
SET s.status = 'EXECUTING', s.started_at = coalesce(s.started_at, datetime())
"""
_HEARTBEAT = """
MATCH (s:ExecutionStep {id: $step_id})
SET s.lease_expires_at = datetime() + duration({seconds: $lease_seconds})
RETURN s.lease_expires_at AS lease_expires_at
"""
_COMPLETE = """
MATCH (s:ExecutionStep {id: $step_id})<-[:CONTAINS_STEP]-(p:ExecutionPlan)
SET s.status = 'COMPLETED', s.outputs = $outputs, s.changeset = $changeset,
    s.completed_at = datetime(), s.lease_expires_at = null, s.attempt_deadline = null,
    s.completion_digest = $digest, s.error_message = null,
    s.actual_duration = duration.inSeconds(coalesce(s.started_at, s.claimed_at),
                                           datetime()).seconds / 60.0
WITH s, p
OPTIONAL MATCH (s)-[r:ASSIGNED_TO]->(a:Agent)
WHERE NOT coalesce(r.reserved, false)
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | MERGE (a)-[:EXECUTES]->(s))
// The plan is locked last, as in a claim (agent, steps, plan): one lock order, no deadlock.
WITH DISTINCT p
SET p.unfinished = p.unfinished - 1
"""
_RETRY_LATER = """
MATCH (s:ExecutionStep {id: $step_id})
SET s.status = 'READY', s.retry_count = s.retry_count + 1, s.error_message = $error,
    s.not_before = datetime() + duration({milliseconds: $delay_ms}),
    s.lease_token = null, s.lease_expires_at = null, s.attempt_deadline = null
"""
_FAIL = """
MATCH (s:ExecutionStep {id: $step_id})<-[:CONTAINS_STEP]-(p:ExecutionPlan)
SET s.status = 'FAILED', s.error_message = $error, s.completed_at = datetime(),
    s.lease_expires_at = null, s.attempt_deadline = null,
    p.unfinished = p.unfinished - 1,
    p.failed_critical = p.failed_critical + CASE WHEN s.is_critical THEN 1 ELSE 0 END
"""
_EXPIRED = """
MATCH (s:ExecutionStep)
WHERE s.status IN ['ASSIGNED', 'EXECUTING']
  AND (s.lease_expires_at < datetime() OR s.attempt_deadline < datetime())
RETURN s.id AS id, s.lease_token AS token,
       CASE WHEN s.attempt_deadline < datetime() THEN 'timed out after ' +
            toString(s.timeout_seconds) + ' s' ELSE 'lease expired' END AS why
LIMIT $limit
"""


def backoff_seconds(retry_count: int) -> float:
    """Exponential backoff before retry ``retry_count + 1``: 1 s, 2 s, 4 s, ... at most 300 s."""
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**retry_count))


def _step_view(row: dict[str, Any]) -> dict[str, Any]:
    step = node_props(row)
    return {
        "id": step["id"],
        "key": step["key"],
        "kind": step["kind"],
        "name": step["name"],
        "description": step.get("description", ""),
        "inputs": step.get("inputs") or {},
        "prior_work": [
            {**w, "outputs": json.loads(w["outputs"]) if w.get("outputs") else None}
            for w in step.get("prior_work", [])
        ],
        "plan_id": step["plan_id"],
        "lease_token": step["lease_token"],
        "lease_expires_at": step["lease_expires_at"],
        "attempt": step["retry_count"] + 1,
        "timeout_seconds": step.get("timeout_seconds"),
        "validate_command": step.get("validate_command"),
        "context": node_props(step["context"]) if step.get("context") else None,
    }


def claim(
    db: Database,
    agent_id: str,
    kinds: list[str],
    capabilities: list[str],
    max_steps: int = 1,
    lease_seconds: float = 60.0,
) -> list[dict[str, Any]]:
    """Claim up to ``max_steps`` READY steps of EXECUTING plans for ``agent_id``.

    Only steps of ``kinds`` whose required capabilities are all in
    ``capabilities`` or registered for the agent (``HAS_CAPABILITY``), not reserved
    for another agent, and not held back by a retry backoff. Each claimed step
    becomes ASSIGNED, ``ASSIGNED_TO`` the agent (created if new), with a new
    lease token expiring in ``lease_seconds``. Returns the claimed steps with
    their inputs, prior work (the outputs of their completed dependencies) and
    their plan's active ``ExecutionContext``.
    """

    def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
        rows = [
            r["step"]
            for r in tx.run(
                _CLAIM,
                agent_id=agent_id,
                kinds=kinds,
                capabilities=capabilities,
                max_steps=max_steps,
                lease_seconds=lease_seconds,
            )
        ]
        write_plan_events(
            tx,
            [
                {
                    "plan_id": r["plan_id"],
                    "step_id": r["id"],
                    "type": "STEP_CLAIMED",
                    "from_status": "READY",
                    "to_status": "ASSIGNED",
                    "actor": agent_id,
                }
                for r in rows
            ],
        )
        return [_step_view(r) for r in rows]

    return db.write(work)


def lock_step(tx: neo4j.ManagedTransaction, step_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lock a step (a write to it) and return it with its plan; ``NotFoundError`` if none."""
    record = tx.run(_LOCK_STEP, step_id=step_id).single()
    if record is None:
        raise NotFoundError(f"no step with id {step_id!r}", {"step_id": step_id})
    return node_props(record["step"]), dict(record["plan"])


def check_lease(step: dict[str, Any], token: str, transition: str) -> None:
    """``ConflictError`` unless ``token`` is the step's lease and ``transition``
    (a name in ``STEP_TRANSITIONS``) is allowed from its status."""
    if step.get("lease_token") != token:
        raise ConflictError(
            "stale or wrong lease token: this step's lease was lost, revoked or never yours",
            {"step_id": step["id"], "status": step["status"]},
        )
    allowed, _ = STEP_TRANSITIONS[transition]
    if StepStatus(step["status"]) not in allowed:
        raise ConflictError(
            f"cannot {transition} a step that is {step['status']}",
            {"step_id": step["id"], "status": step["status"]},
        )


def start(db: Database, step_id: str, token: str, actor: str | None = None) -> None:
    """ASSIGNED -> EXECUTING. ``ConflictError`` on a stale token or another status."""

    def work(tx: neo4j.ManagedTransaction) -> None:
        step, plan = lock_step(tx, step_id)
        check_lease(step, token, "start")
        tx.run(_START, step_id=step_id).consume()
        write_plan_events(
            tx,
            [
                {
                    "plan_id": plan["id"],
                    "step_id": step_id,
                    "actor": actor,
                    "type": "STEP_STARTED",
                    "from_status": step["status"],
                    "to_status": "EXECUTING",
                }
            ],
        )

    db.write(work)


def heartbeat(db: Database, step_id: str, token: str, lease_seconds: float = 60.0) -> Any:
    """Extend the lease by ``lease_seconds`` from now; returns the new expiry.
    ``ConflictError`` when the lease is no longer the caller's."""

    def work(tx: neo4j.ManagedTransaction) -> Any:
        step, _ = lock_step(tx, step_id)
        check_lease(step, token, "complete")  # heartbeats are allowed while complete is
        record = tx.run(_HEARTBEAT, step_id=step_id, lease_seconds=lease_seconds).single()
        return record["lease_expires_at"].to_native() if record else None

    return db.write(work)


def _digest(outputs: Any, changeset: Any) -> str:
    blob = json.dumps({"o": outputs, "c": changeset}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def complete(
    db: Database,
    step_id: str,
    token: str,
    outputs: dict[str, Any] | None,
    changeset: dict[str, Any] | None,
    actor: str | None = None,
) -> dict[str, Any]:
    """ASSIGNED|EXECUTING -> COMPLETED with outputs and changeset; dependents re-checked.

    Idempotent: repeating it with the same token and body answers as the first
    call did and writes nothing. A different body, a stale token or another
    status is a ``ConflictError``. Returns ``{"step_id", "status", "plan_status"}``.
    """
    digest = _digest(outputs, changeset)

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any]:
        step, plan = lock_step(tx, step_id)
        if step["status"] == "COMPLETED" and step.get("lease_token") == token:
            if step.get("completion_digest") == digest:
                return {"step_id": step_id, "status": "COMPLETED", "repeated": True}
            raise ConflictError(
                "this step was already completed with a different body", {"step_id": step_id}
            )
        check_lease(step, token, "complete")
        tx.run(
            _COMPLETE,
            step_id=step_id,
            outputs=to_json(outputs or {}),
            changeset=to_json(changeset or {}),
            digest=digest,
        ).consume()
        events = [
            {
                "plan_id": plan["id"],
                "step_id": step_id,
                "type": "STEP_COMPLETED",
                "from_status": step["status"],
                "to_status": "COMPLETED",
                "actor": actor,
            }
        ]
        events += settle(tx, plan["id"], [step_id], False, plan["on_failure"], actor)
        write_plan_events(tx, events)
        return {"step_id": step_id, "status": "COMPLETED", "repeated": False}

    result = db.write(work)
    result.pop("repeated", None)
    return result


def _fail_locked(
    tx: neo4j.ManagedTransaction,
    step: dict[str, Any],
    plan: dict[str, Any],
    error: str,
    retryable: bool,
    actor: str | None,
) -> str:
    step_id = step["id"]
    if retryable and step["retry_count"] < step["max_retries"]:
        delay = backoff_seconds(step["retry_count"])
        tx.run(_RETRY_LATER, step_id=step_id, error=error, delay_ms=int(delay * 1000)).consume()
        write_plan_events(
            tx,
            [
                {
                    "plan_id": plan["id"],
                    "step_id": step_id,
                    "actor": actor,
                    "type": "STEP_RETRY_SCHEDULED",
                    "from_status": step["status"],
                    "to_status": "READY",
                    "message": error,
                    "detail": {"attempt": step["retry_count"] + 1, "backoff_seconds": delay},
                }
            ],
        )
        return "READY"
    tx.run(_FAIL, step_id=step_id, error=error).consume()
    events = [
        {
            "plan_id": plan["id"],
            "step_id": step_id,
            "type": "STEP_FAILED",
            "from_status": step["status"],
            "to_status": "FAILED",
            "actor": actor,
            "message": error,
        }
    ]
    events += settle(
        tx, plan["id"], [step_id], bool(step["is_critical"]), plan["on_failure"], actor
    )
    write_plan_events(tx, events)
    return "FAILED"


def fail(
    db: Database,
    step_id: str,
    token: str,
    error: str,
    retryable: bool = True,
    actor: str | None = None,
) -> str:
    """Report a failed attempt. With retries left (and ``retryable``) the step returns
    to READY, claimable after an exponential backoff; otherwise it is FAILED and, if
    critical, its plan follows ``on_failure``. Returns the step's new status.
    ``ConflictError`` on a stale token or a status that cannot fail."""

    def work(tx: neo4j.ManagedTransaction) -> str:
        step, plan = lock_step(tx, step_id)
        check_lease(step, token, "fail")
        return _fail_locked(tx, step, plan, error, retryable, actor)

    return db.write(work)


def sweep(db: Database, limit: int = 100) -> int:
    """Take back expired leases and timed-out attempts: each counts as a failed attempt.

    Safe with several processes sweeping at once: each step is locked and its
    token checked again before it is changed. Returns how many steps it took back.
    """
    candidates = db.read(lambda tx: tx.run(_EXPIRED, limit=limit).data())
    taken = 0
    for row in candidates:

        def work(tx: neo4j.ManagedTransaction, row: dict[str, Any] = row) -> bool:
            step, plan = lock_step(tx, row["id"])
            if step.get("lease_token") != row["token"] or step["status"] not in (
                "ASSIGNED",
                "EXECUTING",
            ):
                return False
            _fail_locked(tx, step, plan, row["why"], True, "sweeper")
            return True

        taken += db.write(work)
    return taken

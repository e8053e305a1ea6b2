"""The worker protocol in the graph: claim with a lease, start, heartbeat, complete, fail,
and the sweeper that takes back expired leases and timed-out attempts.

Claims and completions lock the agent, the steps, then the plan node. A claim
reads READY steps through the status index, locks each candidate and checks
its status again under the lock, so one step goes to one claimer however many
race. Deadlocks remain on the plan node, which every writer of a plan waits
for (its counters and event sequence live there); Neo4j detects them and
``Database.write`` retries them (bench/README.md has the measured rates).

Every other operation locks the step, then checks the lease token and the
from-status (DESIGN.md section 2) before it writes: a stale token or a
forbidden transition is a ``ConflictError`` that writes nothing.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import pydantic_core

from graphsvc._errors import (
    GraphsvcError,
    LeaseExpired,
    NotFoundError,
    Problem,
    ValidationFailed,
)
from graphsvc.domain.leases import (
    check_holder,
    check_lease,
    hash_token,
    held_in_chain,
    new_tokens,
)
from graphsvc.domain.models import DEFAULT_MAX_LEASE_LOSSES
from graphsvc.domain.rules import (
    CLAIM_SHARDS,
    PLAN_COUNTER_STRIPES,
    PRIORITY_RANKS,
    Completion,
    backoff_seconds,
    completion_digest,
    judge_completion,
)
from graphsvc.domain.states import PLAN_TERMINAL, StepStatus
from graphsvc.domain.transitions import STEP_TRANSITIONS
from graphsvc.engine.chains import lease_chains, release_chains
from graphsvc.engine.family import settle
from graphsvc.engine.gates import close_requests_of_ended_plans, gate_events
from graphsvc.engine.progress import ready_events, record_events
from graphsvc.metrics import CLAIM_DURATION, CLAIMS, LEASE_EXPIRATIONS
from graphsvc.store._convert import node_props, to_json
from graphsvc.store._db import Database, Tx
from graphsvc.store._events import write_plan_events
from graphsvc.store._queries import engine_query
from graphsvc.store.locks import lock_plan, lock_step

__all__ = [
    "BatchCompletion",
    "ClaimSpec",
    "LeaseState",
    "claim",
    "claim_with",
    "complete",
    "complete_many",
    "end_finished_plans",
    "end_stalled_plans",
    "fail",
    "heartbeat",
    "release",
    "start",
    "sweep",
]

T = TypeVar("T")

log = logging.getLogger("graphsvc.sweeper")


_CLAIM = engine_query("claim_steps")
_CLAIM_IN_PLANS = engine_query("claim_steps_in_plans")
_RUNNING_CHILDREN = engine_query("find_running_child_plans")
_FAMILY_DEPTH = 100

_START = engine_query("start_step")
_HEARTBEAT = engine_query("extend_lease")
_COMPLETE = engine_query("complete_steps")
_RETRY_LATER = engine_query("schedule_retry")
_FAIL = engine_query("fail_step")
_EXPIRED = engine_query("find_expired_leases")
_LEASE_LOST = engine_query("return_lost_lease")
_RELEASE = engine_query("release_step")
_FINISHED_PLANS = engine_query("find_finished_plans")
_CANCEL_ORPHAN = engine_query("cancel_orphaned_step")


def _step_view(row: dict[str, Any], tokens: dict[str, str]) -> dict[str, Any]:
    step = node_props(row)
    return {
        "id": step["id"],
        "key": step["key"],
        "kind": step["kind"],
        "name": step["name"],
        "description": step.get("description") or "",
        "inputs": step.get("inputs") or {},
        "prior_work": [
            {**w, "outputs": json.loads(w["outputs"]) if w.get("outputs") else None}
            for w in step.get("prior_work", [])
        ],
        "plan_id": step["plan_id"],
        "lease_token": tokens[step["lease_hash"]],
        "lease_expires_at": datetime.fromtimestamp(step["lease_expires_ms"] / 1000, UTC),
        "attempt": step["retry_count"] + 1,
        "timeout_seconds": step.get("timeout_seconds"),
        "validate_command": step.get("validate_command"),
        "context": node_props(step["context"]) if step.get("context") else None,
        "chained_after": step.get("chained_after"),
    }


@dataclass(frozen=True)
class ClaimSpec:
    """What a claim asks for: up to ``max_steps`` steps of ``kinds`` for ``agent_id``
    with ``capabilities``, leased for ``lease_seconds``; with ``chain``, each claimed
    step with its chain (``engine.chains``) within the same ``max_steps``."""

    agent_id: str
    kinds: list[str]
    capabilities: list[str]
    max_steps: int = 1
    lease_seconds: float = 60.0
    plan_ids: tuple[str, ...] = ()
    chain: bool = False


# A claim seeks READY steps from a random claim shard on (domain.rules.claim_shard), so
# concurrent claimers spread over the frontier; it seeks again (up to _SEEKS times in
# all, from another shard each time) while racing claimers took steps it had found.
_SEEKS = 4


def _with_running_descendants(tx: Tx, plan_ids: list[str]) -> list[str]:
    """``plan_ids`` and every child plan running under them, level by level."""
    family = list(dict.fromkeys(plan_ids))
    level = family
    for _ in range(_FAMILY_DEPTH):
        children = tx.run(_RUNNING_CHILDREN, plan_ids=level).single(strict=True)["ids"]
        level = [c for c in children if c not in family]
        if not level:
            break
        family += level
    return family


def _seek(
    tx: Tx, spec: ClaimSpec, plan_ids: list[str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Claim READY steps as ``spec`` asks, seeking again while racing claimers took
    steps this one had found; the claimed rows and their lease tokens by hash."""
    rows: list[dict[str, Any]] = []
    tokens: dict[str, str] = {}
    for _ in range(_SEEKS):
        wanted = spec.max_steps - len(rows)
        new = new_tokens(wanted)
        record = tx.run(
            _CLAIM_IN_PLANS if spec.plan_ids else _CLAIM,
            plan_ids=plan_ids,
            priority_ranks=PRIORITY_RANKS,
            agent_id=spec.agent_id,
            kinds=spec.kinds,
            capabilities=spec.capabilities,
            max_steps=wanted,
            shard=secrets.randbelow(CLAIM_SHARDS),
            lease_seconds=spec.lease_seconds,
            lease_hashes=list(new),
        ).single(strict=True)
        rows += record["steps"]
        tokens.update(new)
        if len(rows) >= spec.max_steps or not record["lost"]:
            break
    return rows, tokens


def _claim_rows(tx: Tx, spec: ClaimSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Claim as ``spec`` asks; the claimed steps (each followed by its chain) and their
    events (not yet written)."""
    plan_ids = _with_running_descendants(tx, list(spec.plan_ids)) if spec.plan_ids else []
    rows, tokens = _seek(tx, spec, plan_ids)
    tx.on_commit(CLAIMS.labels("steps" if rows else "empty").inc)
    chains: dict[str, list[dict[str, Any]]] = {}
    if spec.chain and rows:
        chains, chain_tokens = lease_chains(
            tx,
            [r["id"] for r in rows],
            spec.max_steps - len(rows),
            spec.agent_id,
            spec.kinds,
            spec.capabilities,
            spec.lease_seconds,
        )
        tokens.update(chain_tokens)
    claimed: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        claimed.append(row)
        events.append(_event(row, "STEP_CLAIMED", StepStatus.READY, spec.agent_id))
        for link in chains.get(row["id"], []):
            claimed.append(link)
            events.append(_event(link, "STEP_CHAINED", StepStatus.PENDING, spec.agent_id))
    return _sendable(claimed, tokens), events


def _sendable(claimed: list[dict[str, Any]], tokens: dict[str, str]) -> list[dict[str, Any]]:
    """The claimed steps as the claim answers them, built and checked inside the claim's
    transaction (issue 30): a stored value that cannot be read back or written out
    raises here, so the claim rolls back, instead of committing leases whose tokens never
    reach the worker. (What the API stores is refused at write time when it could not be
    read back: ``api._json``.)"""
    try:
        views = [_step_view(r, tokens) for r in claimed]
        pydantic_core.to_json(views)
    except (ValueError, RecursionError, pydantic_core.PydanticSerializationError) as exc:
        ids = [r["id"] for r in claimed]
        raise GraphsvcError(
            f"the claimed steps {ids} hold a value that cannot be sent "
            f"({type(exc).__name__}: {str(exc)[:200]}); the claim was rolled back"
        ) from None
    return views


def _event(row: dict[str, Any], kind: str, before: StepStatus, actor: str) -> dict[str, Any]:
    event = {
        "plan_id": row["plan_id"],
        "step_id": row["id"],
        "type": kind,
        "from_status": before.value,
        "to_status": StepStatus.ASSIGNED.value,
        "actor": actor,
    }
    if row.get("chained_after"):
        event["detail"] = {"chained_after": row["chained_after"]}
    return event


def _claim_in(tx: Tx, spec: ClaimSpec) -> list[dict[str, Any]]:
    claimed, events = _claim_rows(tx, spec)
    write_plan_events(tx, events)  # no step became READY here
    return claimed


def claim(
    db: Database,
    agent_id: str,
    kinds: list[str],
    capabilities: list[str],
    max_steps: int = 1,
    lease_seconds: float = 60.0,
    plan_ids: list[str] | None = None,
    chain: bool = False,
) -> list[dict[str, Any]]:
    """Claim up to ``max_steps`` READY steps of EXECUTING plans for ``agent_id``.

    Only steps of ``kinds`` whose required capabilities are all in
    ``capabilities`` or registered for the agent (``HAS_CAPABILITY``), not reserved
    for another agent, and not held back by a retry backoff. Each claimed step
    becomes ASSIGNED, ``ASSIGNED_TO`` the agent (created if new), with a new
    lease token expiring in ``lease_seconds``. With ``plan_ids``, only steps of those
    plans and of the child plans running under them. Returns the claimed steps with
    their inputs, prior work (the outputs of their completed dependencies) and
    their plan's active ``ExecutionContext``. With ``chain``, each claimed step is
    followed by the steps of its chain (``engine.chains``), ASSIGNED with
    ``chained_after``, all within ``max_steps``.
    """
    spec = ClaimSpec(
        agent_id, kinds, capabilities, max_steps, lease_seconds, tuple(plan_ids or ()), chain
    )
    return claim_with(db, spec)


def claim_with(db: Database, spec: ClaimSpec) -> list[dict[str, Any]]:
    """``claim`` with its arguments as a ``ClaimSpec``; its time goes to
    ``graphsvc_claim_duration_seconds``. Each claim (this one, and one made with a batch
    completion) counts in ``graphsvc_claims_total`` by whether it leased steps."""
    with CLAIM_DURATION.time():
        return db.write(_claim_in, spec)


class LeaseState(NamedTuple):
    """A leased step as a start or a heartbeat leaves it: its status and lease expiry."""

    status: str
    lease_expires_at: datetime | None


def start(
    db: Database, step_id: str, token: str, actor: str | None = None, agent: str | None = None
) -> LeaseState:
    """ASSIGNED -> EXECUTING. Idempotent: a repeat with the same token on a step it
    started answers as the first did and writes nothing (a worker that got no answer
    sends it again). ``ConflictError`` on a stale token or another status;
    ``PermissionDenied`` when ``agent`` is given and does not hold the lease. The event
    names the lease's holder as its actor (``actor`` when none). Returns the step's
    status (EXECUTING) and lease expiry."""

    def work(tx: Tx) -> LeaseState:
        step, plan = lock_step(tx, step_id)
        state = LeaseState(StepStatus.EXECUTING.value, step.get("lease_expires_at"))
        repeat = step["status"] == StepStatus.EXECUTING and step.get("lease_hash") == hash_token(
            token
        )
        if repeat:
            check_holder(step, agent)
            check_lease(step, token, "complete", agent, use="start")  # the lease's expiry
            return state
        check_lease(step, token, "start", agent)
        tx.run(_START, step_id=step_id).consume()
        record_events(
            tx,
            [
                {
                    "plan_id": plan["id"],
                    "step_id": step_id,
                    "actor": step["lease_holder"] or actor,
                    "type": "STEP_STARTED",
                    "from_status": step["status"],
                    "to_status": "EXECUTING",
                }
            ],
        )
        return state

    return leased_write(db, step_id, work)


def heartbeat(
    db: Database, step_id: str, token: str, lease_seconds: float = 60.0, agent: str | None = None
) -> LeaseState:
    """Extend the lease by ``lease_seconds`` from now and mark its agent seen; returns the
    step's status (ASSIGNED or EXECUTING) and its new expiry. ``ConflictError`` when
    the lease is no longer the caller's, ``PermissionDenied`` when ``agent`` is given
    and does not hold it."""

    def work(tx: Tx) -> LeaseState:
        step, _ = lock_step(tx, step_id)
        # Heartbeats are allowed while complete is.
        check_lease(step, token, "complete", agent, use="heartbeat")
        record = tx.run(_HEARTBEAT, step_id=step_id, lease_seconds=lease_seconds).single()
        expires = record["lease_expires_at"].to_native() if record else None
        return LeaseState(step["status"], expires)

    return leased_write(db, step_id, work)


def release(
    db: Database, step_id: str, token: str, actor: str | None = None, agent: str | None = None
) -> None:
    """ASSIGNED|EXECUTING -> READY: the claimer gives its lease back (it will not do the
    work: an agent that changed its mind, an MCP session that ends). Not a lease loss
    and not a failed attempt; the steps chained behind it return to PENDING. In a plan
    that has ended the step is CANCELLED instead (nothing would claim it).
    ``ConflictError`` on a stale token or another status, ``PermissionDenied`` when
    ``agent`` is given and does not hold the lease."""

    def work(tx: Tx) -> None:
        step, plan = lock_step(tx, step_id)
        check_lease(step, token, "release", agent)
        who = step["lease_holder"] or actor
        released = release_chains(tx, [step_id], who, f"step {step['key']} was given back")
        if plan["status"] in PLAN_TERMINAL:  # nothing would claim it: CANCELLED
            _cancel_orphan(tx, step, plan, "the lease was given back", who, released)
            return
        tx.run(_RELEASE, step_id=step_id).consume()
        own = {
            "plan_id": plan["id"],
            "step_id": step_id,
            "actor": who,
            "type": "STEP_RELEASED",
            "from_status": step["status"],
            "to_status": StepStatus.READY.value,
            "message": "the lease was given back",
        }
        record_events(tx, [own, *released])

    db.write(work)


@dataclass(frozen=True)
class BatchCompletion:
    """What ``complete_many`` did: one outcome per item in order, ``{"step_id",
    "status", "repeated"}`` or ``{"step_id", "status", "error": ConflictError |
    NotFoundError}``; the steps claimed after (as ``claim`` returns them); and
    whether a step these completions made READY was left for other claimers."""

    outcomes: list[dict[str, Any]]
    claimed: list[dict[str, Any]]
    left_ready: bool
    # Plans these completions did not see end: checked again after the commit.
    open_plans: tuple[str, ...] = ()


def _complete_in(
    tx: Tx,
    items: list[Completion],
    actor: str | None,
    then_claim: ClaimSpec | None,
    agent: str | None,
) -> BatchCompletion:
    """One batch completion, in three queries and the commit: lock, judge, complete and
    make the dependents READY, and count the plans' finished steps (``complete_steps``);
    claim the next steps (``claim_steps``); write the journal (``write_events``, as every
    command does before its commit). A gate step among those made READY, a plan these
    steps may have finished (then under the plan's lock, carried up its family) and
    chain leases take further queries."""
    now = datetime.now(UTC)
    digests = {i.step_id: completion_digest(i.outputs, i.changeset) for i in items}
    rows = []
    for i in items:
        begun, done = i.worker_times(now, None)  # capped at now; at the claim by the query
        rows.append(
            {
                "step_id": i.step_id,
                "token_hash": hash_token(i.lease_token),
                "digest": digests[i.step_id],
                "outputs": to_json(i.outputs or {}),
                "changeset": to_json(i.changeset or {}),
                # As text: a driver datetime costs ~0.2 ms to pack (the query parses it).
                "started_at": begun.isoformat() if begun else None,
                "completed_at": done.isoformat() if done else None,
            }
        )
    record = tx.run(
        _COMPLETE,
        items=rows,
        agent=agent,
        stripe=secrets.randbelow(PLAN_COUNTER_STRIPES),
    ).single(strict=True)
    outcomes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    applied: set[str] = set()
    stored = {row["step_id"]: row for row in record["stored"]}
    for item, step, verdict in zip(items, record["judged"], record["verdicts"], strict=True):
        # The one rule: the query's verdict is the one judge_completion gives.
        outcome = judge_completion(step, item, digests[item.step_id], agent, frozenset(applied))
        if (verdict == "ok") != (outcome is None):
            raise GraphsvcError(
                f"the completion of step {item.step_id} was judged {verdict!r} by the query "
                f"and {outcome!r} by domain.rules.judge_completion: nothing was written"
            )
        if outcome is not None:
            outcomes.append(outcome)
            continue
        assert step is not None
        applied.add(item.step_id)
        outcomes.append({"step_id": item.step_id, "status": "COMPLETED", "repeated": False})
        times = stored[item.step_id]
        event: dict[str, Any] = {
            "plan_id": step["plan_id"],
            "step_id": item.step_id,
            "type": "STEP_COMPLETED",
            "from_status": step["status"],
            "to_status": "COMPLETED",
            "actor": step["lease_holder"] or actor,
        }
        if item.started_at or item.completed_at:  # the worker's times: a batch ran apart
            event["detail"] = {
                "started_at": _iso(times["started_ms"]) if item.started_at else None,
                "completed_at": _iso(times["completed_ms"]) if item.completed_at else None,
            }
        events.append(event)
    events += ready_events(record["ready"])
    events += gate_events(tx, events)  # before the claim: a gate step waits for a person
    claimed, claim_events = _claim_rows(tx, then_claim) if then_claim else ([], [])
    open_plans: list[str] = []
    later: list[dict[str, Any]] = []
    for counted in record["counted"]:
        if counted["left"] > 0 and not counted["failed_critical"]:
            # Steps that other transactions complete now are leased or waiting as this
            # one sees them: if the plan's last steps are among them, left <= busy.
            if counted["left"] <= counted["busy"]:
                open_plans.append(counted["plan_id"])  # checked again after the commit
        else:
            # Maybe its last steps: the plan's end under its lock, carried up its family.
            later += _end_if_finished(tx, counted["plan_id"], actor)
    events += later + gate_events(tx, later)
    events += close_requests_of_ended_plans(tx, later)
    write_plan_events(tx, events + claim_events)
    made_ready = {e["step_id"] for e in events if e.get("to_status") == "READY"}
    left = made_ready - {e["step_id"] for e in claim_events}
    return BatchCompletion(outcomes, claimed, bool(left), tuple(open_plans))


def _iso(epoch_ms: int | None) -> str | None:
    return None if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat()


def _end_if_finished(tx: Tx, plan_id: str, actor: str | None) -> list[dict[str, Any]]:
    """Under the plan's lock: end it if every step is terminal (``finish_plan``), and
    carry that up its family; the events to write (none if it goes on)."""
    try:
        plan = lock_plan(tx, plan_id)
    except NotFoundError:
        return []
    if plan["status"] in PLAN_TERMINAL:
        return []
    return settle(tx, plan_id, [], False, plan["on_failure"], actor)


def end_stalled_plans(db: Database, limit: int = 100) -> int:
    """The sweeper's backstop for ``end_finished_plans``: end running plans whose steps
    all ended (the process that was to check them stopped after its commit, or the
    check failed). Returns how many it looked at."""
    rows = db.read(lambda tx: tx.run(_FINISHED_PLANS, limit=limit).data())
    for row in rows:
        end_finished_plans(db, row["plan_id"])
    return len(rows)


def end_finished_plans(db: Database, plan_id: str) -> None:
    """After completions committed: end the plan if its steps are all terminal now.

    A completion counts its steps on a counter stripe without locking the plan
    (``complete_steps``), and sees the completions of others only once they
    committed: when the last steps of a plan complete in concurrent transactions,
    each may see the other's steps unfinished. A completion that sees no more steps
    left than steps leased or waiting (those others may be completing) schedules this
    check for after its commit (``complete_many``): under the plan's lock, ending it
    locks every counter stripe of the plan (``finish_plan``), so it waits for the
    completions in flight and sees them all."""

    def work(tx: Tx) -> None:
        record_events(tx, _end_if_finished(tx, plan_id, None))

    db.write(work)


def complete_many(
    db: Database,
    items: list[Completion],
    actor: str | None = None,
    then_claim: ClaimSpec | None = None,
    agent: str | None = None,
) -> BatchCompletion:
    """Complete many steps in one transaction, then (``then_claim``) claim the next ones
    in the same transaction, which may be the very steps these completions made READY.

    Each item is judged alone, as ``complete`` judges one: a stale token, a
    status that cannot complete, a lease held by another agent than ``agent`` (when
    given) or an unknown step refuses that item and leaves it unchanged, and the
    others still apply. Returns a ``BatchCompletion``.
    ``ValidationFailed`` (and nothing written) if a step id repeats.
    """
    if len({i.step_id for i in items}) != len(items):
        raise ValidationFailed([Problem("results", "a step_id appears more than once")])
    done: BatchCompletion = db.write(_complete_in, items, actor, then_claim, agent)
    for outcome in done.outcomes:
        if isinstance(outcome.get("error"), LeaseExpired):
            _take_back_now(db, outcome["step_id"])
    if done.open_plans:
        ends = db.after_commit("plan-end", lambda plan_id: end_finished_plans(db, plan_id))
        ends.schedule(done.open_plans)
    return done


def complete(
    db: Database,
    step_id: str,
    token: str,
    outputs: dict[str, Any] | None,
    changeset: dict[str, Any] | None,
    actor: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """ASSIGNED|EXECUTING -> COMPLETED with outputs and changeset; dependents re-checked.

    Idempotent: repeating it with the same token and body answers as the first
    call did and writes nothing. A different body, a stale token or another
    status is a ``ConflictError``; an unknown step a ``NotFoundError``; a lease
    held by another agent than ``agent`` (when given) ``PermissionDenied``.
    Returns ``{"step_id", "status"}``.
    """
    item = Completion(step_id, token, outputs, changeset)
    [outcome] = complete_many(db, [item], actor, agent=agent).outcomes
    if "error" in outcome:
        raise outcome["error"]
    return {"step_id": step_id, "status": outcome["status"]}


def _fail_locked(
    tx: Tx,
    step: dict[str, Any],
    plan: dict[str, Any],
    error: str,
    retryable: bool,
    actor: str | None,
) -> str:
    step_id = step["id"]
    # The steps chained behind it will not follow it now: out of their chain first.
    released = release_chains(tx, [step_id], actor, f"step {step['key']} before it failed")
    if plan["status"] in PLAN_TERMINAL:
        return _cancel_orphan(tx, step, plan, error, actor, released)
    if retryable and step["retry_count"] < step["max_retries"]:
        delay = backoff_seconds(step["retry_count"])
        tx.run(_RETRY_LATER, step_id=step_id, error=error, delay_ms=int(delay * 1000)).consume()
        record_events(
            tx,
            [
                *released,
                {
                    "plan_id": plan["id"],
                    "step_id": step_id,
                    "actor": actor,
                    "type": "STEP_RETRY_SCHEDULED",
                    "from_status": step["status"],
                    "to_status": "READY",
                    "message": error,
                    "detail": {"attempt": step["retry_count"] + 1, "backoff_seconds": delay},
                },
            ],
        )
        return "READY"
    tx.run(_FAIL, step_id=step_id, error=error).consume()
    events = [
        *released,
        {
            "plan_id": plan["id"],
            "step_id": step_id,
            "type": "STEP_FAILED",
            "from_status": step["status"],
            "to_status": "FAILED",
            "actor": actor,
            "message": error,
        },
    ]
    events += settle(
        tx, plan["id"], [step_id], bool(step["is_critical"]), plan["on_failure"], actor
    )
    record_events(tx, events)
    return "FAILED"


def _cancel_orphan(
    tx: Tx,
    step: dict[str, Any],
    plan: dict[str, Any],
    error: str,
    actor: str | None,
    released: list[dict[str, Any]],
) -> str:
    """A leased step of an ended plan: CANCELLED, not READY (nothing would claim it)."""
    message = f"{error}; the plan is {plan['status']}"
    tx.run(_CANCEL_ORPHAN, step_id=step["id"], error=message).consume()
    event = {
        "plan_id": plan["id"],
        "step_id": step["id"],
        "type": "STEP_CANCELLED",
        "from_status": step["status"],
        "to_status": "CANCELLED",
        "actor": actor,
        "message": message,
    }
    write_plan_events(tx, [*released, event])
    return "CANCELLED"


def fail(
    db: Database,
    step_id: str,
    token: str,
    error: str,
    retryable: bool = True,
    actor: str | None = None,
    agent: str | None = None,
) -> str:
    """Report a failed attempt. With retries left (and ``retryable``) the step returns
    to READY, claimable after an exponential backoff; otherwise it is FAILED and, if
    critical, its plan follows ``on_failure``. In a plan that has already ended the
    step is CANCELLED instead. Returns the step's new status. ``ConflictError`` on a
    stale token or a status that cannot fail; ``PermissionDenied`` when ``agent`` is
    given and does not hold the lease. Events name the lease's holder as actor."""

    def work(tx: Tx) -> str:
        step, plan = lock_step(tx, step_id)
        check_lease(step, token, "fail", agent)
        return _fail_locked(tx, step, plan, error, retryable, step["lease_holder"] or actor)

    return leased_write(db, step_id, work)


def _take_back(tx: Tx, row: dict[str, Any]) -> bool:
    """One expired lease or timed-out attempt, checked again under the step's lock: the
    same lease, still leased, and still expired (a heartbeat may have renewed it since
    the sweep read it)."""
    step, plan = lock_step(tx, row["id"])
    leased, _ = STEP_TRANSITIONS["lease_expired"]
    if (
        step.get("lease_hash") != row["lease_hash"]
        or step["status"] not in leased
        or not (step["lease_expired"] or step["timed_out"])
    ):
        return False
    if held_in_chain(step):  # it never started: back where it was, no lease lost
        why = f"lease of agent {step['lease_holder']} expired before its chain reached it"
        write_plan_events(tx, release_chains(tx, [step["id"]], "sweeper", why, with_roots=True))
        return True
    losses = step.get("lease_losses") or 0
    budget = step.get("max_lease_losses")
    budget = DEFAULT_MAX_LEASE_LOSSES if budget is None else budget
    ended = plan["status"] in PLAN_TERMINAL
    if step["timed_out"] or ended or losses >= budget:
        why = row["why"] if step["timed_out"] or ended else f"lease expired {losses + 1} times"
        _fail_locked(tx, step, plan, why, True, "sweeper")
        return True
    released = release_chains(
        tx, [step["id"]], "sweeper", f"the lease of step {step['key']} before it expired"
    )
    tx.run(_LEASE_LOST, step_id=step["id"]).consume()
    event = {
        "plan_id": plan["id"],
        "step_id": step["id"],
        "type": "STEP_LEASE_EXPIRED",
        "from_status": step["status"],
        "to_status": "READY",
        "actor": "sweeper",
        "message": f"lease of agent {step['lease_holder']} expired; the step is READY again",
        "detail": {"lease_losses": losses + 1, "max_lease_losses": budget},
    }
    write_plan_events(tx, [*released, event])
    return True


def take_back(db: Database, step_id: str) -> bool:
    """Take back one step whose lease a worker used after it expired (``LeaseExpired``),
    at once and exactly as the sweeper would (``sweep``); False when there is nothing
    to take back (renewed, reported or taken back meanwhile)."""

    def work(tx: Tx) -> bool:
        step, _ = lock_step(tx, step_id)
        why = (
            f"timed out after {step.get('timeout_seconds')} s"
            if step["timed_out"]
            else "lease expired"
        )
        return _take_back(tx, {"id": step_id, "lease_hash": step.get("lease_hash"), "why": why})

    taken: bool = db.write(work)
    LEASE_EXPIRATIONS.inc(int(taken))
    return taken


def leased_write(db: Database, step_id: str, work: Callable[[Tx], T]) -> T:
    """``db.write(work)`` for a use of ``step_id``'s lease: when it is refused because the
    lease expired (``LeaseExpired``), the step is taken back at once (``take_back``)
    before the refusal is raised, not at the sweeper's next pass."""
    try:
        return db.write(work)
    except LeaseExpired:
        _take_back_now(db, step_id)
        raise


def _take_back_now(db: Database, step_id: str) -> None:
    """``take_back`` right after a refusal; a failure is logged, not raised (the refusal,
    or the batch that committed, stands; the sweeper takes the step back later)."""
    try:
        take_back(db, step_id)
    except GraphsvcError:
        log.warning("step %s: its expired lease is left to the sweeper", step_id, exc_info=True)


def sweep(db: Database, limit: int = 100) -> int:
    """Take back expired leases and timed-out attempts.

    An expired lease returns the step to READY at once without spending
    ``max_retries``, up to ``max_lease_losses`` times (default 3; DESIGN.md section 8:
    losing the worker is not the step's failure); after that, and for an attempt past
    its ``timeout_seconds``, it counts as a failed attempt (``fail``). A leased step of
    a plan that has ended is CANCELLED. Safe with several processes sweeping at once:
    each step is locked and its lease checked again before it is changed. Returns how
    many steps it took back.
    """
    candidates = db.read(lambda tx: tx.run(_EXPIRED, limit=limit).data())
    taken = 0
    for row in candidates:
        try:
            taken += db.write(_take_back, row)
        except Exception:
            log.exception("could not take back the lease of step %s", row["id"])
    LEASE_EXPIRATIONS.inc(taken)
    return taken

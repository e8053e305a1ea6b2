"""The pure rules of the engine (issue 19): no Neo4j, no I/O, each tested on its own
(``tests/domain/test_rules.py``). The engine applies them inside its transactions."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphsvc._errors import ConflictError, NotFoundError, PermissionDenied
from graphsvc.domain.leases import check_chain, check_holder, check_lease, hash_token
from graphsvc.domain.models import Progress, StepSpec
from graphsvc.domain.states import PLAN_TERMINAL, STEP_TERMINAL, PlanStatus, StepStatus

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "CLAIM_SHARDS",
    "PLAN_COUNTER_STRIPES",
    "PRIORITY_RANKS",
    "Completion",
    "backoff_seconds",
    "carried_over",
    "check_changeable",
    "child_outcome",
    "claim_shard",
    "completion_digest",
    "judge_completion",
    "priority_rank",
    "progress_from_counts",
    "progress_of",
    "routing_capability",
]

# Claims take the steps of higher-priority plans first: rank 0 (CRITICAL) to 3 (LOW).
PRIORITY_RANKS: dict[str, int] = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 300.0


def backoff_seconds(retry_count: int) -> float:
    """Exponential backoff before retry ``retry_count + 1``: 1 s, 2 s, 4 s, ... at most 300 s."""
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**retry_count))


def completion_digest(outputs: Any, changeset: Any) -> str:
    """A completion's fingerprint (SHA-256 of its outputs and changeset as sorted JSON):
    a repeat with the same body is answered as the first was, one with another is a
    conflict."""
    blob = json.dumps({"o": outputs, "c": changeset}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Completion:
    """One step's result: its id, the caller's lease token, outputs and changeset (JSON
    objects), and when the worker says it started and finished the step (aware
    datetimes, optional: a batch of steps run back to back keeps each one's own times)."""

    step_id: str
    lease_token: str
    outputs: dict[str, Any] | None = None
    changeset: dict[str, Any] | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None

    def worker_times(
        self, now: datetime, claimed: datetime | None = None
    ) -> tuple[datetime | None, datetime | None]:
        """(started, completed) as recorded: the worker's times, none after ``now`` (a
        clock ahead of the server's does not date work in the future) nor before
        ``claimed`` (the claim), and the start not after the end."""
        floor = claimed or datetime.min.replace(tzinfo=now.tzinfo)
        done = min(max(self.completed_at, floor), now) if self.completed_at else None
        begun = min(max(self.started_at, floor), done or now) if self.started_at else None
        return begun, done


def judge_completion(
    step: dict[str, Any] | None,
    item: Completion,
    digest: str,
    agent: str | None,
    completed_before: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """Judge a completion against its locked step (None: no such step): the outcome of
    ``item`` when it is not to be applied, ``{"step_id", "status", "repeated": True}``
    for a repeat of the same body or ``{"step_id", "status", "error"}`` with a
    ``NotFoundError``, ``PermissionDenied`` (``agent`` does not hold the lease) or
    ``ConflictError`` (stale token, another status, a different body); None when it is
    to be applied. ``digest`` is ``completion_digest`` of the item. A chained step held
    for its claimer completes only after the step before it: that one COMPLETED, or
    among ``completed_before`` (applied earlier in the same batch)."""
    if step is None:
        missing = NotFoundError(f"no step with id {item.step_id!r}", {"step_id": item.step_id})
        return {"step_id": item.step_id, "status": None, "error": missing}
    try:
        check_holder(step, agent)
    except PermissionDenied as error:
        return {"step_id": item.step_id, "status": step["status"], "error": error}
    if step["status"] == "COMPLETED" and step.get("lease_hash") == hash_token(item.lease_token):
        if step.get("completion_digest") == digest:
            return {"step_id": item.step_id, "status": "COMPLETED", "repeated": True}
        differs = ConflictError(
            "this step was already completed with a different body", {"step_id": item.step_id}
        )
        return {"step_id": item.step_id, "status": "COMPLETED", "error": differs}
    try:
        check_lease(step, item.lease_token, "complete")
        check_chain(step, "complete", completed_before)
    except ConflictError as error:
        return {"step_id": item.step_id, "status": step["status"], "error": error}
    return None


def routing_capability(required: list[str]) -> str:
    """The capability a claim finds a step by: the first of its ``required`` capability
    names in sorted order, ``""`` when it requires none.

    Claims seek READY steps through the ``(status, kind, routing_capability)`` index
    with ``""`` and each capability the agent has, then check the rest of each
    step's requirements: READY steps that need a capability the claimer lacks
    are not read at all (unless it has their first one), so a backlog no live
    worker can take does not slow everyone else's claims."""
    return min(required, default="")


def progress_of(statuses: list[str]) -> Progress:
    """Progress from step statuses: terminal / all, counted now (DESIGN.md section 2)."""
    return progress_from_counts(Counter(statuses))


def progress_from_counts(counts: Mapping[str, int]) -> Progress:
    """Progress from the number of steps in each status (``progress_of``)."""
    terminal = sum(n for status, n in counts.items() if status in STEP_TERMINAL)
    total = sum(counts.values())
    return Progress(
        total=total,
        terminal=terminal,
        percent=round(100.0 * terminal / total, 1) if total else 0.0,
        by_status=dict(sorted(counts.items())),
    )


def check_changeable(plan: dict[str, Any], allow_failed: bool = False) -> None:
    """``ConflictError`` unless a coordinator may change ``plan`` (``{id, status,
    can_modify}``): not finished (a FAILED one too with ``allow_failed``, for a retry)
    and not created with ``can_modify: false``."""
    status = PlanStatus(plan["status"])
    if status in PLAN_TERMINAL and not (allow_failed and status == PlanStatus.FAILED):
        raise ConflictError(
            f"the plan is {status.value}: a finished plan cannot be changed",
            {"plan_id": plan["id"], "status": status.value},
        )
    if not plan.get("can_modify", True):
        raise ConflictError(
            "this plan does not allow changes (can_modify is false)", {"plan_id": plan["id"]}
        )


def child_outcome(plan: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """Why a child plan let its spawner down, in one line: its name, id and status, and
    the first failed step's key and error (``steps``: ``{key, status, error}``)."""
    failed = [s for s in steps if s["status"] == StepStatus.FAILED.value and s["error"]]
    first = failed[0] if failed else None
    why = f": step {first['key']}: {first['error']}" if first else ""
    return f"child plan {plan['name']!r} ({plan['id']}) {plan['status']}{why}"


# Completions count a plan's finished steps on one of this many counter nodes
# (PlanCounter stripes), picked at random per transaction, not on the plan node:
# concurrent completions of one plan seldom wait for each other. Ending a plan locks
# all of them (finish_plan.cypher), so it waits for completions in flight.
PLAN_COUNTER_STRIPES = 16

CLAIM_SHARDS = 256


def claim_shard() -> int:
    """A new step's claim shard, at random in ``0 .. CLAIM_SHARDS - 1``. Claims seek READY
    steps from a random shard on (``cypher/engine/claim_steps.cypher``), so claimers
    racing on one frontier read different parts of it instead of all the same first
    steps (Postgres queues get this from ``SKIP LOCKED``, which Neo4j lacks)."""
    return secrets.randbelow(CLAIM_SHARDS)


def priority_rank(priority: str) -> int:
    """A plan priority's claim rank, 0 (CRITICAL) first to 3 (LOW); MEDIUM for a priority
    this version does not know."""
    return PRIORITY_RANKS.get(str(priority), PRIORITY_RANKS["MEDIUM"])


def carried_over(new_steps: Sequence[StepSpec], old_steps: list[dict[str, Any]]) -> dict[str, str]:
    """Which steps of a new plan version (replan) take the outcome of a step of the old one
    instead of running again: ``{new step key: old step id}``.

    A step is carried over when the old plan has a COMPLETED step with its key and its
    definition (kind, description, inputs, and the keys of its dependencies), and every
    step it depends on is carried over too: a step whose upstream runs again runs again
    (DESIGN.md section 8, "Replan"). ``old_steps`` are ``{id, key, kind, description,
    inputs (JSON text or a dict), status, depends_on (keys)}``."""
    old_by_key = {s["key"]: s for s in old_steps}
    same: dict[str, str] = {}
    for step in new_steps:
        old = old_by_key.get(step.key)
        if old is None or old["status"] != "COMPLETED":
            continue
        inputs = old.get("inputs")
        if isinstance(inputs, str):
            inputs = json.loads(inputs)
        mine = (str(step.kind), step.description, step.inputs, sorted(set(step.depends_on)))
        theirs = (
            old["kind"],
            old.get("description") or "",
            inputs or {},
            sorted(set(old["depends_on"])),
        )
        if mine == theirs:
            same[step.key] = old["id"]
    deps = {s.key: s.depends_on for s in new_steps}
    changed = True
    while changed:  # drop those whose dependencies are not all carried over, to a fixpoint
        changed = False
        for key in list(same):
            if any(d not in same for d in deps[key]):
                del same[key]
                changed = True
    return same

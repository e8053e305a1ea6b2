"""Lease tokens: secrets shown once to the claimer, stored only as a hash (DESIGN.md
section 8, "Lease tokens are secrets").

A token is 32 random bytes (``secrets.token_urlsafe``); the graph keeps its
SHA-256 (``ExecutionStep.lease_token_hash``), so a read of the graph, a named
query or a leaked backup cannot act on a lease. A fast hash is enough: the
token is random, not a password, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from graphsvc._errors import ConflictError, LeaseExpired, PermissionDenied
from graphsvc.domain.states import StepStatus
from graphsvc.domain.transitions import STEP_TRANSITIONS

__all__ = [
    "SECRET_PROPERTIES",
    "check_chain",
    "check_holder",
    "check_lease",
    "hash_token",
    "held_in_chain",
    "new_tokens",
]

# Properties no read answers (legacy ``lease_token`` included, until it is migrated away).
SECRET_PROPERTIES = frozenset({"lease_token", "lease_token_hash"})


def hash_token(token: str) -> str:
    """The stored form of a lease token: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_tokens(count: int) -> dict[str, str]:
    """``count`` fresh tokens, keyed by their hash (the claim stores the hash and answers
    the token of the hash it stored)."""
    tokens = (secrets.token_urlsafe(32) for _ in range(count))
    return {hash_token(t): t for t in tokens}


def check_holder(step: dict[str, Any], agent: str | None) -> None:
    """``PermissionDenied`` when ``agent`` (the one agent a worker key may act as; None
    for a key that may act as any) is not the agent that holds the step's lease."""
    holder = step.get("lease_holder")
    if agent is not None and holder is not None and holder != agent:
        raise PermissionDenied(
            f"step {step['id']} is leased to agent {holder!r}; this API key acts only as "
            f"agent {agent!r}",
            {"step_id": step["id"]},
        )


def check_lease(
    step: dict[str, Any],
    token: str,
    transition: str,
    agent: str | None = None,
    use: str | None = None,
) -> None:
    """``PermissionDenied`` when ``agent`` is not the lease's holder (``check_holder``);
    ``ConflictError`` unless ``token`` is the step's lease and ``transition`` (a name in
    ``STEP_TRANSITIONS``) is allowed from its status; ``LeaseExpired`` when the lease is
    past its expiry time (``step["lease_expired"]``, read under the step's lock), for
    every use but ``release`` (giving back an expired lease is what its expiry does).
    ``use`` names the operation in messages when it is not the transition (a heartbeat
    checks as ``complete``)."""
    check_holder(step, agent)
    if step.get("lease_hash") != hash_token(token):
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
    if transition != "release" and step.get("lease_expired"):
        raise LeaseExpired(
            f"the lease on step {step['id']} expired before this {use or transition}: the step "
            "goes back to READY for another claim; stop working on it and do not report it",
            {"step_id": step["id"], "status": step["status"]},
        )
    if transition != "complete":  # heartbeats check as "complete": a held step may renew
        check_chain(step, transition)


def held_in_chain(step: dict[str, Any]) -> bool:
    """Whether ``step`` (as a lock query returns it, with ``chained_after`` and
    ``after_status``) is a chained step held for its claimer: leased with a chain
    lease (ASSIGNED, ``chained_after`` the step before it) while that step has not
    COMPLETED (DESIGN.md section 2)."""
    return (
        step.get("chained_after") is not None
        and step["status"] == StepStatus.ASSIGNED
        and step.get("after_status") != StepStatus.COMPLETED
    )


def check_chain(
    step: dict[str, Any], transition: str, completed_before: frozenset[str] = frozenset()
) -> None:
    """``ConflictError`` when ``step`` is held in its chain (``held_in_chain``) and the
    step before it is not among ``completed_before`` (completed earlier in the same
    batch): it may not ``transition`` before that step completes."""
    if held_in_chain(step) and step["chained_after"] not in completed_before:
        raise ConflictError(
            f"cannot {transition} step {step['id']} yet: it is chained after step "
            f"{step['chained_after']}, which has not completed",
            {
                "step_id": step["id"],
                "status": step["status"],
                "chained_after": step["chained_after"],
            },
        )

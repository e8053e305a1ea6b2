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

from graphsvc._errors import ConflictError, PermissionDenied
from graphsvc.domain.states import StepStatus
from graphsvc.domain.transitions import STEP_TRANSITIONS

__all__ = ["SECRET_PROPERTIES", "check_holder", "check_lease", "hash_token", "new_tokens"]

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
    step: dict[str, Any], token: str, transition: str, agent: str | None = None
) -> None:
    """``PermissionDenied`` when ``agent`` is not the lease's holder (``check_holder``);
    ``ConflictError`` unless ``token`` is the step's lease and ``transition`` (a name in
    ``STEP_TRANSITIONS``) is allowed from its status."""
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

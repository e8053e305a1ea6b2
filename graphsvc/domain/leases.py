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

__all__ = ["SECRET_PROPERTIES", "hash_token", "new_tokens"]

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

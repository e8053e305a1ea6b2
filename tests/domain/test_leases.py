"""Lease tokens, without Neo4j: random, and stored only as their hash."""

from __future__ import annotations

import hashlib

from graphsvc.domain.leases import SECRET_PROPERTIES, hash_token, new_tokens


def test_tokens_are_new_each_time_and_keyed_by_their_hash() -> None:
    first, second = new_tokens(50), new_tokens(50)
    assert len(first) == 50 and not set(first) & set(second)
    for digest, token in first.items():
        assert digest == hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
        assert len(token) >= 40


def test_the_stored_forms_are_secret() -> None:
    assert {"lease_token", "lease_token_hash"} <= SECRET_PROPERTIES

"""Shared test helpers: the API keys of the test app, the environment of subprocesses."""

from __future__ import annotations

import os

from graphsvc.store import Neo4jTarget

KEYS = {"admin": "k-admin", "coordinator": "k-coord", "worker": "k-worker", "viewer": "k-viewer"}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test key for ``role``."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


def neo4j_env(target: Neo4jTarget) -> dict[str, str]:
    """Environment for a ``graphsvc`` subprocess that uses the test Neo4j."""
    return {
        **os.environ,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_PASSWORD": target.password or "",
        "NEO4J_DATABASE": target.database,
    }

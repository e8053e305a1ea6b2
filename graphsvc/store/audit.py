"""The audit trail of a plan (``cypher/get_audit_chain.cypher``)."""

from __future__ import annotations

from typing import Any

from graphsvc.store._convert import from_neo4j
from graphsvc.store._db import Database
from graphsvc.store.plans import plan_query

__all__ = ["audit_chain"]


def audit_chain(db: Database, plan_id: str) -> list[dict[str, Any]]:
    """In time order: the user -> message -> analysis that created the plan, its
    decisions and their approvals, its modifications, every transition with its
    actor, and agent communications about it. Each ``{time, kind, actor, summary,
    subject_id}``. ``NotFoundError`` for an unknown plan."""
    rows = plan_query(db, "get_audit_chain", plan_id)
    return [{k: from_neo4j(v) for k, v in row.items()} for row in rows]

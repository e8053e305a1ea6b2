"""The audit trail of a plan (``cypher/get_audit_chain.cypher``)."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc._errors import NotFoundError
from graphsvc.store._convert import from_neo4j
from graphsvc.store._db import Database
from graphsvc.store._queries import load_query

__all__ = ["audit_chain"]


def audit_chain(db: Database, plan_id: str) -> list[dict[str, Any]]:
    """In time order: the user -> message -> analysis that created the plan, its
    decisions and their approvals, its modifications, every transition with its
    actor, and agent communications about it. Each ``{time, kind, actor, summary,
    subject_id}``. ``NotFoundError`` for an unknown plan."""
    query = load_query("get_audit_chain").body

    def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]] | None:
        if tx.run("MATCH (p:ExecutionPlan {id: $id}) RETURN p.id", id=plan_id).single() is None:
            return None
        return tx.run(query, plan_id=plan_id).data()

    rows = db.read(work)
    if rows is None:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return [{k: from_neo4j(v) for k, v in row.items()} for row in rows]

"""Reading the changes made to plans (``cypher/get_plan_modifications.cypher``)."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc._errors import NotFoundError
from graphsvc.domain.models import ModificationPublic
from graphsvc.store._convert import node_props
from graphsvc.store._db import Database
from graphsvc.store._queries import load_query

__all__ = ["list_modifications"]


def list_modifications(db: Database, plan_id: str) -> list[ModificationPublic]:
    """The plan's modifications newest first, with requester and approvers.
    Raises ``NotFoundError`` for an unknown plan."""
    query = load_query("get_plan_modifications").body

    def work(tx: neo4j.ManagedTransaction) -> tuple[bool, list[dict[str, Any]]]:
        exists = tx.run("MATCH (p:ExecutionPlan {id: $id}) RETURN p.id", id=plan_id).single()
        return exists is not None, tx.run(query, plan_id=plan_id).data()

    exists, rows = db.read(work)
    if not exists:
        raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
    return [ModificationPublic.model_validate(node_props(row)) for row in rows]

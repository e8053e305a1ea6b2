"""Reading the changes made to plans (``cypher/get_plan_modifications.cypher``)."""

from __future__ import annotations

from graphsvc.domain.models import ModificationPublic
from graphsvc.store._convert import node_props
from graphsvc.store._db import Database
from graphsvc.store.plans import plan_query

__all__ = ["list_modifications"]


def list_modifications(
    db: Database, plan_id: str, status: str | None = None
) -> list[ModificationPublic]:
    """The plan's modifications newest first, with requester and approvers; ``status``
    filters (REQUESTED: those awaiting approval). Raises ``NotFoundError`` for an
    unknown plan."""
    rows = plan_query(db, "get_plan_modifications", plan_id, status=status)
    return [ModificationPublic.model_validate(node_props(row)) for row in rows]

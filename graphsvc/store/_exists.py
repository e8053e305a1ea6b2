"""Which of the ids a request names do not exist: one query for all of them.

Each label has its own fixed ``EXISTS`` subquery (labels never come from input),
so every lookup is an index seek on the label's ``id`` constraint.
"""

from __future__ import annotations

import neo4j

from graphsvc._errors import Problem

__all__ = ["missing_ids"]

_FOUND = """
UNWIND $refs AS ref
RETURN ref.field AS field,
       CASE ref.label
         WHEN 'Agent' THEN EXISTS { MATCH (:Agent {id: ref.id}) }
         WHEN 'AgentCommunication' THEN EXISTS { MATCH (:AgentCommunication {id: ref.id}) }
         WHEN 'Analysis' THEN EXISTS { MATCH (:Analysis {id: ref.id}) }
         WHEN 'ExecutionPlan' THEN EXISTS { MATCH (:ExecutionPlan {id: ref.id}) }
         WHEN 'ExecutionStep' THEN EXISTS { MATCH (:ExecutionStep {id: ref.id}) }
         WHEN 'Message' THEN EXISTS { MATCH (:Message {id: ref.id}) }
         WHEN 'User' THEN EXISTS { MATCH (:User {id: ref.id}) }
       END AS found
"""


def missing_ids(
    tx: neo4j.ManagedTransaction, refs: dict[str, tuple[str, str | None]]
) -> list[Problem]:
    """``refs`` maps a request field to ``(label, id)``; a field whose id is None is not
    checked. One ``Problem`` per field naming an id that no node of its label has,
    in the order of ``refs``."""
    rows = [
        {"field": field, "label": label, "id": value}
        for field, (label, value) in refs.items()
        if value is not None
    ]
    if not rows:
        return []
    found = {r["field"]: r["found"] for r in tx.run(_FOUND, refs=rows)}
    return [
        Problem(row["field"], f"no {row['label']} with id {row['id']!r}")
        for row in rows
        if not found[row["field"]]
    ]

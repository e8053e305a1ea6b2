"""Which of the ids a request names do not exist: one query for all of them.

Each label has its own fixed ``EXISTS`` subquery (labels never come from input),
so every lookup is an index seek on the label's ``id`` constraint.
"""

from __future__ import annotations

from graphsvc._errors import Problem
from graphsvc.store._db import Tx
from graphsvc.store._queries import engine_query

__all__ = ["missing_ids"]

_FOUND = engine_query("find_missing_ids")


def missing_ids(tx: Tx, refs: dict[str, tuple[str, str | None]]) -> list[Problem]:
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

"""The audit trail of a plan (``cypher/get_audit_chain.cypher``), a page at a time."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.store._convert import from_neo4j
from graphsvc.store._db import Database
from graphsvc.store.plans import plan_query

__all__ = ["AuditPage", "audit_chain"]


@dataclass(frozen=True)
class AuditPage:
    """Rows of an audit trail and the cursor of the next page (None after the last)."""

    rows: list[dict[str, Any]]
    next_after: str | None


def _cursor(row: dict[str, Any]) -> str:
    """An opaque cursor after ``row`` (its time, exact to the nanosecond, kind and id)."""
    time = row["time"].iso_format() if row["time"] is not None else None
    blob = json.dumps([time, row["kind"], row["subject_id"]]).encode()
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def _parse_cursor(after: str) -> dict[str, Any]:
    try:
        blob = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))
        time, kind, subject = json.loads(blob)
        if not (time is None or isinstance(time, str)) or not isinstance(kind, str):
            raise ValueError("not a cursor")
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            [Problem("after", "not a cursor of this trail: pass next_after as it came")]
        ) from exc
    return {"after_time": time or "1970-01-01T00:00:00Z", "after_kind": kind, "after_id": subject}


def audit_chain(
    db: Database, plan_id: str, after: str | None = None, limit: int = 1000
) -> AuditPage:
    """In time order: the user -> message -> analysis that created the plan, its
    decisions and their approvals, its modifications, every transition with its
    actor, and agent communications about it. Each row ``{time, kind, actor, summary,
    subject_id}``; at most ``limit`` rows after the cursor ``after`` (None: from the
    start). ``NotFoundError`` for an unknown plan, ``ValidationFailed`` for a cursor
    this did not make."""
    cursor = (
        _parse_cursor(after)
        if after
        else {"after_time": None, "after_kind": None, "after_id": None}
    )
    rows = plan_query(db, "get_audit_chain", plan_id, limit=limit + 1, **cursor)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        [{k: from_neo4j(v) for k, v in row.items()} for row in rows],
        _cursor(rows[-1]) if more else None,
    )

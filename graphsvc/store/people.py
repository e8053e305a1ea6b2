"""Conversations: users, their messages and the analyses those trigger (DESIGN.md
section 1): ``(:User)-[:INITIATES]->(:Message)-[:TRIGGERS_ANALYSIS]->(:Analysis)``."""

from __future__ import annotations

from typing import Any

import neo4j

from graphsvc._errors import NotFoundError
from graphsvc.ids import new_id
from graphsvc.store._db import Database

__all__ = ["create_analysis", "create_message"]

_MESSAGE = """
MERGE (u:User {id: $user_id})
  ON CREATE SET u.name = coalesce($user_name, $user_id), u.created_at = datetime()
CREATE (m:Message {id: $id, content: $content, timestamp: datetime()})
CREATE (u)-[:INITIATES]->(m)
RETURN m.id AS id, m.timestamp AS timestamp
"""
_ANALYSIS = """
MATCH (m:Message {id: $message_id})
CREATE (a:Analysis {id: $id, intent: $intent, category: $category, confidence: $confidence,
                    reasoning: $reasoning, status: $status, timestamp: datetime()})
CREATE (m)-[:TRIGGERS_ANALYSIS]->(a)
WITH a
OPTIONAL MATCH (old:Analysis {id: $replaces})
FOREACH (_ IN CASE WHEN old IS NULL THEN [] ELSE [1] END |
  SET old.status = 'SUPERSEDED', old.superseded_at = datetime())
RETURN a.id AS id, old IS NOT NULL AS replaced
"""


def create_message(
    db: Database, user_id: str, content: str, user_name: str | None = None
) -> dict[str, Any]:
    """Record a user's message (the ``User`` is created on first use). ``{"id", "timestamp"}``."""
    message_id = new_id()

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any]:
        record = tx.run(
            _MESSAGE, user_id=user_id, user_name=user_name, id=message_id, content=content
        ).single(strict=True)
        return {"id": record["id"], "timestamp": record["timestamp"].to_native()}

    return db.write(work)


def create_analysis(
    db: Database,
    message_id: str,
    intent: str,
    category: str | None,
    confidence: int,
    reasoning: str | None,
    replaces: str | None = None,
    status: str = "COMPLETED",
) -> dict[str, Any]:
    """Record what the AI concluded from a message (``confidence`` 0-100). With
    ``replaces`` the older analysis becomes SUPERSEDED. Returns ``{"id"}``.
    ``NotFoundError`` for an unknown message or replaced analysis (nothing written)."""
    analysis_id = new_id()

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any]:
        record = tx.run(
            _ANALYSIS,
            message_id=message_id,
            id=analysis_id,
            intent=intent,
            category=category,
            confidence=confidence,
            reasoning=reasoning,
            status=status,
            replaces=replaces,
        ).single()
        if record is None:
            raise NotFoundError(f"no message with id {message_id!r}", {"message_id": message_id})
        if replaces and not record["replaced"]:
            raise NotFoundError(f"no analysis with id {replaces!r}", {"replaces": replaces})
        return {"id": record["id"]}

    return db.write(work)

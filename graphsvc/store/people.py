"""Conversations: users, their messages and the analyses those trigger (DESIGN.md
section 1): ``(:User)-[:INITIATES]->(:Message)-[:TRIGGERS_ANALYSIS]->(:Analysis)``."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import NotFoundError
from graphsvc.ids import new_id
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import engine_query

__all__ = ["create_analysis", "create_message"]

_MESSAGE = engine_query("create_message")
_ANALYSIS = engine_query("create_analysis")


def create_message(
    db: Database, user_id: str, content: str, user_name: str | None = None
) -> dict[str, Any]:
    """Record a user's message (the ``User`` is created on first use). ``{"id", "timestamp"}``."""
    message_id = new_id()

    def work(tx: Tx) -> dict[str, Any]:
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
    recorded_by: str | None = None,
) -> dict[str, Any]:
    """Record what the AI concluded from a message (``confidence`` 0-100). With
    ``replaces`` the older analysis becomes SUPERSEDED; ``recorded_by`` (the API key's
    principal) is its actor in the audit. Returns ``{"id"}``.
    ``NotFoundError`` for an unknown message or replaced analysis (nothing written)."""
    analysis_id = new_id()

    def work(tx: Tx) -> dict[str, Any]:
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
            recorded_by=recorded_by,
        ).single()
        if record is None:
            raise NotFoundError(f"no message with id {message_id!r}", {"message_id": message_id})
        if replaces and not record["replaced"]:
            raise NotFoundError(f"no analysis with id {replaces!r}", {"replaces": replaces})
        return {"id": record["id"]}

    return db.write(work)

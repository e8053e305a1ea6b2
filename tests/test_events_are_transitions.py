"""Every transition the service recorded during the whole suite (each entry of every
journal ``EventBatch``) is a transition of the one table (``graphsvc.domain.transitions``):
its type, from- and to-status; and every batch was numbered. Runs last."""

from __future__ import annotations

import pytest

from graphsvc.domain.transitions import find_transition
from graphsvc.store import Database
from graphsvc.store.journal import number_leftovers


@pytest.mark.last
def test_every_transition_the_journal_recorded_is_a_transition_of_the_table(db: Database) -> None:
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch) UNWIND range(0, b.size - 1) AS i "
            "WITH b.types[i] AS type, nullIf(b.from_statuses[i], '') AS from_status, "
            "nullIf(b.to_statuses[i], '') AS to_status, b.messages[i] AS message "
            "RETURN type, from_status, to_status, count(*) AS n, collect(message)[..3] AS messages "
            "ORDER BY type"
        ).data()
    )
    strays = [
        r for r in rows if find_transition(r["type"], r["from_status"], r["to_status"]) is None
    ]
    assert strays == []
    assert len({r["type"] for r in rows}) >= 10, "the suite should have written many kinds"


@pytest.mark.last
def test_every_relationship_a_batch_records_is_the_entry_at_its_position(db: Database) -> None:
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch)-[r:RECORDS]->(x) "
            "WHERE r.type <> b.types[r.position] OR x.id <> b.subject_ids[r.position] "
            "   OR coalesce(r.to_status, '') <> b.to_statuses[r.position] "
            "RETURN b.id AS batch, r.position AS position LIMIT 5"
        ).data()
    )
    assert rows == []


@pytest.mark.last
def test_every_batch_is_numbered_once_its_writers_are_done(db: Database) -> None:
    number_leftovers(db, older_than_ms=0, limit=100_000)
    left = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch) WHERE b.pending_plan_id IS NOT NULL OR b.first_seq IS NULL "
            "RETURN count(b) AS n"
        ).single(strict=True)["n"]
    )
    assert left == 0

"""Every ``Event`` the service wrote during the whole suite is a transition of the one
table (``graphsvc.domain.transitions``): its type, from- and to-status. Runs last."""

from __future__ import annotations

import pytest

from graphsvc.domain.transitions import find_transition
from graphsvc.store import Database


@pytest.mark.last
def test_every_event_in_the_graph_is_a_transition_of_the_table(db: Database) -> None:
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (e:Event) RETURN e.type AS type, e.from_status AS from_status, "
            "e.to_status AS to_status, count(*) AS n, collect(e.message)[..3] AS messages "
            "ORDER BY type"
        ).data()
    )
    strays = [
        r for r in rows if find_transition(r["type"], r["from_status"], r["to_status"]) is None
    ]
    assert strays == []
    assert len({r["type"] for r in rows}) >= 10, "the suite should have written many kinds"

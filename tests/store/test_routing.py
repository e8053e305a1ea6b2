"""The ``neo4j://`` routing scheme (a cluster's, Aura's) works: the driver asks the
server for its routing table, writes go to a writer and reads, in read transactions
(sessions of their own), to a reader. Against the test Neo4j, which answers routing as
a single-member cluster: it shows the scheme and the read routing work, not that
bookmarks wait out a lagging secondary (there is none here)."""

from __future__ import annotations

import dataclasses

import pytest

from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle
from graphsvc.engine.plans import create_plan
from graphsvc.store import Database, plans
from graphsvc.store._db import Neo4jTarget


def test_the_routing_scheme_reads_what_it_wrote(neo4j_target: Neo4jTarget) -> None:
    if not neo4j_target.uri.startswith("bolt://"):
        pytest.skip(f"the test Neo4j is at {neo4j_target.uri}, not a bolt:// address")
    routed = dataclasses.replace(
        neo4j_target, uri="neo4j://" + neo4j_target.uri.removeprefix("bolt://")
    )
    with Database(routed) as db:
        created = create_plan(
            db, parse_spec({"name": "routed", "steps": [{"key": "A", "kind": "noop"}]})
        )
        lifecycle.transition_plan(db, created.id, "start")
        # A read right after the write, in a read transaction routed by the driver.
        assert plans.get_plan(db, created.id).status.value == "EXECUTING"
        lifecycle.transition_plan(db, created.id, "cancel")

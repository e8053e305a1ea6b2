"""The store's connection and schema, against a real Neo4j."""

from __future__ import annotations

import neo4j
import pytest

from graphsvc.ids import new_id
from graphsvc.store import Database
from graphsvc.store._queries import schema_statements

LABELS = [
    "User",
    "Message",
    "Analysis",
    "ExecutionPlan",
    "ExecutionStep",
    "Decision",
    "Agent",
    "Capability",
    "PlanModification",
    "AgentCommunication",
    "ExecutionContext",
    "Event",
]


def test_write_then_read_through_the_driver(db: Database) -> None:
    node_id = new_id()
    db.write(lambda tx: tx.run("CREATE (:User {id: $id, name: 'Ada'})", id=node_id).consume())
    names = db.read(
        lambda tx: [
            r["name"] for r in tx.run("MATCH (u:User {id: $id}) RETURN u.name AS name", id=node_id)
        ]
    )
    assert names == ["Ada"]
    edition = db.read(
        lambda tx: tx.run(
            "CALL dbms.components() YIELD name, versions RETURN versions[0] AS v"
        ).single(strict=True)["v"]
    )
    assert edition.startswith("5.")


def test_every_label_has_a_unique_id_constraint(db: Database) -> None:
    rows = db.read(
        lambda tx: tx.run(
            "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
            "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties AS props"
        ).data()
    )
    constrained = {row["label"] for row in rows if row["props"] == ["id"]}
    assert set(LABELS) <= constrained


def test_status_indexes_exist(db: Database) -> None:
    rows = db.read(
        lambda tx: tx.run(
            "SHOW INDEXES YIELD labelsOrTypes, properties, type, state "
            "WHERE type = 'RANGE' RETURN labelsOrTypes[0] AS label, properties AS props, state"
        ).data()
    )
    indexed = {(r["label"], tuple(r["props"])) for r in rows if r["state"] == "ONLINE"}
    for expected in [
        ("ExecutionStep", ("status",)),
        ("ExecutionPlan", ("status",)),
        ("Event", ("timestamp",)),
        ("Event", ("seq",)),
    ]:
        assert expected in indexed


def test_duplicate_id_is_rejected_by_the_constraint(db: Database) -> None:
    node_id = new_id()
    db.write(lambda tx: tx.run("CREATE (:User {id: $id})", id=node_id).consume())
    with pytest.raises(neo4j.exceptions.ConstraintError):
        db.write(lambda tx: tx.run("CREATE (:User {id: $id})", id=node_id).consume())
    count = db.read(
        lambda tx: tx.run("MATCH (u:User {id: $id}) RETURN count(u) AS n", id=node_id).single(
            strict=True
        )["n"]
    )
    assert count == 1


def test_schema_is_idempotent(db: Database) -> None:
    def count(tx: neo4j.ManagedTransaction) -> int:
        return int(
            tx.run("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n").single(strict=True)["n"]
        )

    before = db.read(count)
    db.apply_schema()
    assert db.read(count) == before
    assert len(schema_statements()) >= len(LABELS)


def test_read_settled_reads_again_until_the_answer_settles_then_gives_up(db: Database) -> None:
    node_id = new_id()
    db.write(lambda tx: tx.run("CREATE (:User {id: $id, name: 'Ada'})", id=node_id).consume())

    def name(tx: neo4j.ManagedTransaction) -> str:
        return str(tx.run("MATCH (u:User {id: $id}) RETURN u.name AS n", id=node_id).single()["n"])

    seen: list[str] = []

    def settled_on_third(answer: str) -> bool:
        seen.append(answer)
        if len(seen) == 2:  # a writer finishes between the second and third reads
            db.write(
                lambda tx: tx.run(
                    "MATCH (u:User {id: $id}) SET u.name = 'Grace'", id=node_id
                ).consume()
            )
        return answer == "Grace"

    assert db.read_settled(name, settled_on_third) == "Grace"
    assert seen == ["Ada", "Ada", "Grace"]

    reads: list[str] = []

    def counted(tx: neo4j.ManagedTransaction) -> str:
        reads.append(name(tx))
        return reads[-1]

    assert db.read_settled(counted, lambda answer: False) == "Grace"
    assert len(reads) == 5  # the first read and four more, then the last answer as it is

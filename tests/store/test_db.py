"""The store's connection and schema, against a real Neo4j."""

from __future__ import annotations

import neo4j
import pytest

from graphsvc import TooLarge, ValidationFailed
from graphsvc.domain import parse_spec
from graphsvc.ids import new_id
from graphsvc.store import Database, modify, plans
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


def test_steps_stored_without_their_plan_id_get_it_when_the_schema_is_applied(
    db: Database,
) -> None:
    spec = {"name": "legacy", "steps": [{"key": "A", "kind": "noop"}, {"key": "B", "kind": "noop"}]}
    plan_id = plans.create_plan(db, parse_spec(spec)).id
    strip = (
        "MATCH (p:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) "
        "REMOVE s.plan_id, p.last_step_number"
    )
    db.write(lambda tx: tx.run(strip, id=plan_id).consume())

    def plan_ids(tx: neo4j.ManagedTransaction) -> list[str | None]:
        query = "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) RETURN s.plan_id AS p"
        return [r["p"] for r in tx.run(query, id=plan_id)]

    assert db.read(plan_ids) == [None, None]
    db.apply_schema()
    assert db.read(plan_ids) == [plan_id, plan_id]
    with pytest.raises(ValidationFailed, match="already has a step 'B'"):  # through the index
        modify.add_steps(db, plan_id, [{"key": "B", "kind": "noop"}], modify.Actor("legacy-test"))
    # The plan's step counter, which it lacked too, goes on after its own steps.
    modify.add_steps(db, plan_id, [{"key": "C", "kind": "noop"}], modify.Actor("legacy-test"))
    numbers = {s.key: s.step_number for s in plans.get_plan(db, plan_id).steps}
    assert numbers == {"A": 1, "B": 2, "C": 3}


def test_a_transaction_that_runs_out_of_memory_is_too_large_and_not_tried_again(
    db: Database,
) -> None:
    attempts: list[int] = []

    def huge(tx: neo4j.ManagedTransaction) -> int:
        attempts.append(1)
        query = "UNWIND range(1, 1000000000) AS i RETURN count(DISTINCT i) AS n"
        return int(tx.run(query).single(strict=True)["n"])

    with pytest.raises(TooLarge, match="more memory than Neo4j gives one transaction"):
        db.read(huge)
    assert attempts == [1]

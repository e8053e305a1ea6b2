"""The store's connection and schema, against a real Neo4j."""

from __future__ import annotations

import neo4j
import pytest

from graphsvc import TooLarge, ValidationFailed
from graphsvc.domain import parse_spec
from graphsvc.engine import changes as modify
from graphsvc.engine import lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, plans
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
    "EventBatch",
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
        ("EventBatch", ("plan_id", "last_seq")),
        ("EventBatch", ("plan_id", "timestamp")),
        ("EventBatch", ("pending_plan_id",)),
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


def test_what_earlier_versions_did_not_store_is_filled_in_when_the_schema_is_applied(
    db: Database,
) -> None:
    """Steps without ``plan_id``, ``routing_capability`` and ``priority_rank`` and a plan
    without ``last_step_number`` get them, and then work as steps stored today do (claims
    seek by rank: without it they would not find the steps)."""
    cap = f"legacy-{new_id()}"
    a_needs = [f"{cap}-b", f"{cap}-a"]
    spec = {
        "name": "legacy",
        "steps": [
            {"key": "A", "kind": "noop", "requires_capabilities": a_needs},
            {"key": "B", "kind": "noop", "requires_capabilities": [f"{cap}-a"]},
        ],
    }
    plan_id = create_plan(db, parse_spec(spec)).id
    strip = (
        "MATCH (p:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) "
        "REMOVE s.plan_id, s.routing_capability, s.priority_rank, p.last_step_number "
        "SET p.max_parallel = 1"  # an earlier version's default, never enforced then
    )
    db.write(lambda tx: tx.run(strip, id=plan_id).consume())
    # A database from before the fill-ins has no record of them.
    forget = "MATCH (m:GraphsvcMigration) DELETE m"
    db.write(lambda tx: tx.run(forget).consume())

    def stored(tx: neo4j.ManagedTransaction) -> dict[str, tuple[str | None, str | None]]:
        query = (
            "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) "
            "RETURN s.key AS key, s.plan_id AS p, s.routing_capability AS r"
        )
        return {r["key"]: (r["p"], r["r"]) for r in tx.run(query, id=plan_id)}

    assert db.read(stored) == {"A": (None, None), "B": (None, None)}
    db.apply_schema()
    after = db.read(stored)
    assert after["B"] == (plan_id, f"{cap}-a")
    assert after["A"][0] == plan_id and after["A"][1] in a_needs  # either one routes it
    with pytest.raises(ValidationFailed, match="already has a step 'B'"):  # through the index
        modify.add_steps(db, plan_id, [{"key": "B", "kind": "noop"}], modify.Actor("legacy-test"))
    # The plan's step counter, which it lacked too, goes on after its own steps.
    added = {"key": "C", "kind": "noop", "requires_capabilities": [f"{cap}-c"]}
    modify.add_steps(db, plan_id, [added], modify.Actor("legacy-test"))
    numbers = {s.key: s.step_number for s in plans.get_plan(db, plan_id).steps}
    assert numbers == {"A": 1, "B": 2, "C": 3}
    # Claims find the steps through their routing capability, and still check them all;
    # the old plan's max_parallel, never enforced when it was stored, is gone.
    assert plans.get_plan(db, plan_id).max_parallel is None
    lifecycle.transition_plan(db, plan_id, "start")
    claimed = work.claim(db, f"{cap}-agent", ["noop"], [f"{cap}-a"], max_steps=3)
    assert [s["key"] for s in claimed] == ["B"]
    claimed = work.claim(db, f"{cap}-agent", ["noop"], a_needs, max_steps=3)
    assert [s["key"] for s in claimed] == ["A"]
    lifecycle.transition_plan(db, plan_id, "cancel")


def test_each_fill_in_runs_once_per_database_and_later_starts_skip_it(db: Database) -> None:
    """Once recorded, a fill-in is not run again: a start does not scan every step."""
    db.apply_schema()
    spec = {"name": "after", "steps": [{"key": "A", "kind": "noop"}]}
    plan_id = create_plan(db, parse_spec(spec)).id
    strip = "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) REMOVE s.plan_id"
    db.write(lambda tx: tx.run(strip, id=plan_id).consume())
    db.apply_schema()

    def plan_ids(tx: neo4j.ManagedTransaction) -> list[str | None]:
        query = "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) RETURN s.plan_id AS p"
        return [r["p"] for r in tx.run(query, id=plan_id)]

    assert db.read(plan_ids) == [None]
    recorded = "MATCH (m:GraphsvcMigration) RETURN m.id AS id ORDER BY id"
    ids = db.read(lambda tx: [r["id"] for r in tx.run(recorded)])
    assert ids == [
        "lease tokens as hashes",
        "plans.last_step_number",
        "plans.max_parallel never enforced",
        "steps.claim_shard",
        "steps.plan_id, steps.routing_capability",
        "steps.priority_rank",
    ]
    restore = "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) SET s.plan_id = $id"
    db.write(lambda tx: tx.run(restore, id=plan_id).consume())


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


def test_plain_lease_tokens_of_earlier_versions_become_hashes_and_keep_working(
    db: Database,
) -> None:
    """A step leased by an earlier version stored its token in plain text: at start-up
    the live lease gets its hash (its holder can still complete), every plain token goes."""
    spec = {"name": "legacy lease", "steps": [{"key": "A", "kind": "noop"}]}
    plan_id = create_plan(db, parse_spec(spec)).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    [step] = work.claim(db, f"legacy-{new_id()}", ["noop"], [], 1, 60, plan_ids=[plan_id])
    legacy = (
        "MATCH (s:ExecutionStep {id: $id}) SET s.lease_token = $token "
        "REMOVE s.lease_token_hash WITH s "
        "MATCH (m:GraphsvcMigration {id: 'lease tokens as hashes'}) DELETE m"
    )
    db.write(lambda tx: tx.run(legacy, id=step["id"], token="old-plain-token").consume())
    db.apply_schema()
    stored = db.read(
        lambda tx: tx.run(
            "MATCH (s:ExecutionStep) WHERE s.lease_token IS NOT NULL RETURN count(s) AS n"
        ).single(strict=True)["n"]
    )
    assert stored == 0
    assert work.complete(db, step["id"], "old-plain-token", {}, {})["status"] == "COMPLETED"

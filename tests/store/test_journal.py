"""The journal (DESIGN.md section 9): one ``EventBatch`` per plan per transaction,
numbered after its commit by the plan's sequencer, read with ``events?after=`` exactly
once and in order while any number of writers run."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from graphsvc.ids import new_id
from graphsvc.store import Database, Tx
from graphsvc.store._events import BATCH_SIZE, write_plan_events
from graphsvc.store.journal import list_plan_events, number_leftovers, number_plan
from graphsvc.worker import ApiClient, ExecutorConfig, Worker
from tests.helpers import KEYS, auth, run_plan

# A transition of the table with no statuses (a change applied to the plan).
_NOTE = "PLAN_MODIFIED_ADD_DEPENDENCY"


def _plan(client: TestClient, steps: int = 1) -> str:
    spec = {"name": "journal", "steps": [{"key": f"S{i}", "kind": "noop"} for i in range(steps)]}
    answer = client.post("/v1/plans", json=spec, headers=auth("coordinator"))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _started(client: TestClient, db: Database, steps: int) -> str:
    """A plan of ``steps`` noop steps, started, its journal numbered."""
    plan_id = _plan(client, steps)
    started = client.post(f"/v1/plans/{plan_id}/start", headers=auth("coordinator"))
    assert started.status_code == 200, started.text
    number_plan(db, plan_id)
    return plan_id


def _record(plan_id: str, message: str):  # type: ignore[no-untyped-def]
    def work(tx: Tx) -> None:
        write_plan_events(tx, [{"plan_id": plan_id, "type": _NOTE, "message": message}])

    return work


def _messages(db: Database, plan_id: str, after: int) -> list[tuple[int, str]]:
    events = list_plan_events(db, plan_id, after, 1000) or []
    return [(e["seq"], e["message"]) for e in events if e["type"] == _NOTE]


def test_a_transaction_writes_one_batch_per_plan_linked_to_the_plan_only_by_its_own(
    client: TestClient, db: Database
) -> None:
    plan_id = _started(client, db, steps=3)
    row = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id}) "
            "MATCH (b:EventBatch {plan_id: $id}) "
            "RETURN p.event_seq AS plan_seq, collect(b.types) AS batches, "
            "COUNT { (:EventBatch)-[:RECORDS]->(p) } AS on_plan",
            id=plan_id,
        ).single(strict=True)
    )
    assert row["plan_seq"] is None
    # Created (one transaction), started with its three steps READY (one transaction).
    assert sorted(row["batches"], key=len) == [
        ["PLAN_CREATED"],
        ["PLAN_START", "STEP_READY", "STEP_READY", "STEP_READY"],
    ]
    assert row["on_plan"] == 2  # the plan's own transitions, and only they


def test_a_transaction_that_commits_late_is_numbered_after_what_committed_before_it(
    client: TestClient, db: Database
) -> None:
    plan_id = _plan(client)
    before = max((e["seq"] for e in list_plan_events(db, plan_id, 0, 1000) or []), default=0)
    inside, release = threading.Event(), threading.Event()

    def slow(tx: Tx) -> None:
        _record(plan_id, "slow")(tx)
        inside.set()
        assert release.wait(30)

    writer = threading.Thread(target=lambda: db.write(slow))
    writer.start()
    assert inside.wait(30)
    db.write(_record(plan_id, "quick"))
    # Read while the slow transaction is open: the quick one is numbered, nothing else.
    assert _messages(db, plan_id, before) == [(before + 1, "quick")]
    release.set()
    writer.join(30)
    assert _messages(db, plan_id, before) == [(before + 1, "quick"), (before + 2, "slow")]
    assert _messages(db, plan_id, before + 1) == [(before + 2, "slow")]


def test_batches_a_writer_left_unnumbered_are_numbered_by_the_sweep(
    client: TestClient, db: Database
) -> None:
    plan_id = _plan(client)
    number_plan(db, plan_id)
    # A writer that committed and stopped before numbering: the journal written by hand.
    groups = [
        {
            "id": new_id(),
            "plan_id": plan_id,
            "events": [
                {
                    "subject_id": plan_id,
                    "subject_kind": "plan",
                    "type": _NOTE,
                    "from_status": "",
                    "to_status": "",
                    "message": "left",
                    "detail": "",
                    "actor": "",
                }
            ],
        }
    ]
    from graphsvc.store._queries import engine_query

    db.write(lambda tx: tx.run(engine_query("write_events"), groups=groups).consume())
    time.sleep(0.05)
    # The sweep: this call, or the API's sweeper of this test session (it runs the same
    # number_leftovers every second), whichever comes first.
    number_leftovers(db, older_than_ms=0)
    pending = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch {pending_plan_id: $id}) RETURN count(b) AS n", id=plan_id
        ).single(strict=True)["n"]
    )
    assert pending == 0
    assert [m for _, m in _messages(db, plan_id, 0)] == ["left"]


def test_sixteen_workers_write_fifteen_thousand_transitions_paged_once_in_order(
    live_api: str, db: Database
) -> None:
    coordinator = ApiClient(live_api, KEYS["coordinator"])
    steps = 5_000  # READY, CLAIMED and COMPLETED each: 15,000 transitions and more
    spec = {"name": "many hands", "steps": [{"key": f"S{i}", "kind": "noop"} for i in range(steps)]}
    plan_id = coordinator.call("POST", "/v1/plans", json=spec)["id"]
    workers = [
        Worker(
            ApiClient(live_api, KEYS["admin"]),
            ExecutorConfig(),
            slots=1,
            wait_seconds=0.2,
            plan_ids=[plan_id],
            instant_batch=8,
        )
        for _ in range(16)
    ]
    seen: list[int] = []
    after = 0

    def page() -> int:
        nonlocal after
        events = coordinator.call(
            "GET", f"/v1/plans/{plan_id}/events", params={"after": after, "limit": 500}
        )
        for event in events:
            seen.append(event["seq"])
            after = event["seq"]
        return len(events)

    run_plan(coordinator, plan_id, workers, 600, page)  # paging while sixteen write
    while page():
        pass
    recorded = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch {plan_id: $id}) RETURN sum(b.size) AS n, count(b) AS batches",
            id=plan_id,
        ).single(strict=True)
    )
    assert recorded["n"] >= 3 * steps
    assert recorded["batches"] > 100  # many transactions, not one
    assert seen == list(range(1, recorded["n"] + 1))


def test_a_large_transaction_writes_its_batch_in_parts_read_in_order(
    client: TestClient, db: Database
) -> None:
    plan_id = _started(client, db, steps=1_201)
    sizes = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch {plan_id: $id}) RETURN b.size AS size ORDER BY b.first_seq",
            id=plan_id,
        ).value()
    )
    assert sizes == [1, BATCH_SIZE, BATCH_SIZE, 1_202 - 2 * BATCH_SIZE]
    seen: list[int] = []
    types: list[str] = []
    while True:
        page = client.get(
            f"/v1/plans/{plan_id}/events",
            params={"after": seen[-1] if seen else 0, "limit": 333},
            headers=auth("viewer"),
        ).json()
        if not page:
            break
        seen += [e["seq"] for e in page]
        types += [e["type"] for e in page]
    assert seen == list(range(1, 1_204))
    assert types[:2] == ["PLAN_CREATED", "PLAN_START"] and set(types[2:]) == {"STEP_READY"}

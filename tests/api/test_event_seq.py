"""Event numbers under a real worker through the REST API (issue 18): a worker of several
slots starts, heartbeats and completes steps side by side; no two events of the plan
share a seq. (At 87793e1 this scenario repeated numbers: a start read the plan's counter
before it waited for a completion's lock on the plan, then wrote over its increment.)"""

from __future__ import annotations

from graphsvc.store import Database
from graphsvc.worker import ApiClient, ExecutorConfig, Worker
from tests.helpers import KEYS, event_numbers, run_plan


def test_a_worker_of_eight_slots_numbers_every_event_once(live_api: str, db: Database) -> None:
    coordinator = ApiClient(live_api, KEYS["coordinator"])
    n = 400
    # A validate command makes each step a started one (noop alone is completed in batches).
    steps = [{"key": f"S{i}", "kind": "noop", "validate": "true"} for i in range(n)]
    plan_id = coordinator.call("POST", "/v1/plans", json={"name": "seq", "steps": steps})["id"]
    worker = Worker(
        ApiClient(live_api, KEYS["admin"]),
        ExecutorConfig(),
        slots=8,
        wait_seconds=0.2,
        plan_ids=[plan_id],
    )
    run_plan(coordinator, plan_id, [worker], 240)
    row = event_numbers(db, plan_id)
    assert row["status"] == "COMPLETED"
    assert row["events"] >= 4 * n
    assert row["seqs"] == row["events"]

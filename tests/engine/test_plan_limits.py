"""Plan limits on claims (issue 21): a plan's ``max_parallel`` bounds its leased steps, also
when claimers race; claims take the steps of higher-priority plans first."""

from __future__ import annotations

import threading
from typing import Any

from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database


def _started(db: Database, kind: str, count: int, **plan: Any) -> str:
    spec = {
        "name": f"limits {new_id()}",
        **plan,
        "steps": [{"key": f"S{i}", "kind": kind} for i in range(count)],
    }
    plan_id = create_plan(db, parse_spec(spec)).id
    lifecycle.transition_plan(db, plan_id, "start", actor="test")
    return plan_id


def test_claims_take_higher_priority_plans_first(db: Database) -> None:
    kind = f"prio-{new_id()[-8:]}"
    low = _started(db, kind, 3, priority="LOW")
    high = _started(db, kind, 3, priority="HIGH")
    critical = _started(db, kind, 1, priority="CRITICAL")
    medium = _started(db, kind, 2)
    order = [s["plan_id"] for s in work.claim(db, "prio", [kind], [], max_steps=5)]
    assert order[0] == critical and order[1:4] == [high] * 3 and order[4] == medium
    in_plans = work.claim(db, "prio", [kind], [], max_steps=2, plan_ids=[low, medium])
    assert [s["plan_id"] for s in in_plans] == [medium, low]  # the MEDIUM step left, then LOW
    assert work.claim(db, "prio", [kind], [], max_steps=9)[0]["plan_id"] == low


def test_max_parallel_bounds_leased_steps_under_racing_claimers(db: Database) -> None:
    kind = f"bound-{new_id()[-8:]}"
    bounded = _started(db, kind, 20, max_parallel=2)
    free = _started(db, kind, 6)
    start = threading.Barrier(8)
    claimed: list[dict[str, Any]] = []
    lock = threading.Lock()

    def claimer(n: int) -> None:
        start.wait()
        got = work.claim(db, f"racer-{n}", [kind], [], max_steps=3, plan_ids=[bounded])
        with lock:
            claimed.extend(got)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(claimed) == 2 and len({s["id"] for s in claimed}) == 2
    assert work.claim(db, "late", [kind], [], max_steps=5, plan_ids=[bounded]) == []
    # An unbounded plan beside it is not held back, even by claims of any plan: the full
    # plan's READY steps do not take the places of the free plan's.
    for n in range(6):
        [got] = work.claim(db, f"any-{n}", [kind], [], max_steps=1)
        assert got["plan_id"] == free
    done = claimed[0]
    work.complete(db, done["id"], done["lease_token"], {}, {})
    [next_one] = work.claim(db, "late", [kind], [], max_steps=5, plan_ids=[bounded])
    assert next_one["plan_id"] == bounded

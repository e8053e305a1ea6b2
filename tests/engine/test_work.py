"""Executing plans: claims, leases, retries, failure policies and events, on a real Neo4j."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from graphsvc import ConflictError
from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle, work
from graphsvc.engine.lifecycle import list_events
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, agents, plans


def _plan(db: Database, steps: list[dict[str, Any]], **extra: Any) -> str:
    created = create_plan(db, parse_spec({"name": "t", "steps": steps, **extra}))
    lifecycle.transition_plan(db, created.id, "start", actor="test")
    return created.id


def _claim_all(db: Database, plan_id: str, agent: str = "a1") -> list[dict[str, Any]]:
    steps = work.claim(db, agent, ["noop", "command", "task"], [], max_steps=100)
    return [s for s in steps if s["plan_id"] == plan_id]


def test_concurrent_claimers_get_each_step_exactly_once(db: Database) -> None:
    plan_id = _plan(db, [{"key": f"S{i}", "kind": "noop"} for i in range(2000)])
    claimed: list[str] = []

    def claimer(n: int) -> list[str]:
        mine: list[str] = []
        while True:
            got = work.claim(db, f"claimer-{n}", ["noop"], [], max_steps=5)
            got = [s for s in got if s["plan_id"] == plan_id]
            if not got:
                return mine
            mine += [s["id"] for s in got]

    with ThreadPoolExecutor(32) as pool:
        for ids in pool.map(claimer, range(32)):
            claimed += ids
    assert len(claimed) == 2000 and len(set(claimed)) == 2000
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_step_needing_several_capabilities_goes_only_to_an_agent_with_them_all(
    db: Database,
) -> None:
    """Claims find steps by one of their capabilities (``routing_capability``, the
    first in sorted order) and check the others: declared in the claim or registered."""
    cap = f"multi-{new_id()}"
    first, second = f"{cap}-a", f"{cap}-b"
    plan_id = _plan(db, [{"key": "X", "kind": "noop", "requires_capabilities": [second, first]}])
    assert work.claim(db, f"{cap}-1", ["noop"], [second]) == []  # lacks the routing one
    assert work.claim(db, f"{cap}-2", ["noop"], [first]) == []  # lacks the other one
    assert work.claim(db, f"{cap}-3", ["task"], [first, second]) == []  # another kind
    agents.register_agent(db, f"{cap}-4", capabilities=[second])
    [x] = work.claim(db, f"{cap}-4", ["noop"], [first])  # one declared, one registered
    assert (x["key"], x["plan_id"]) == ("X", plan_id)
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_run_to_completion_with_an_event_story(db: Database) -> None:
    plan_id = _plan(
        db, [{"key": "A", "kind": "noop"}, {"key": "B", "kind": "noop", "depends_on": ["A"]}]
    )
    [a] = _claim_all(db, plan_id)
    assert a["key"] == "A" and _claim_all(db, plan_id) == []
    work.start(db, a["id"], a["lease_token"])
    work.complete(db, a["id"], a["lease_token"], {"x": 1}, {"k": "v"})
    # A repeated complete answers the same and writes nothing twice.
    assert (
        work.complete(db, a["id"], a["lease_token"], {"x": 1}, {"k": "v"})["status"] == "COMPLETED"
    )
    with pytest.raises(ConflictError):
        work.complete(db, a["id"], a["lease_token"], {"x": 2}, {})
    [b] = _claim_all(db, plan_id)
    assert b["prior_work"] == [{"key": "A", "name": "A", "outputs": {"x": 1}}]
    with pytest.raises(ConflictError, match="stale or wrong lease token"):
        work.complete(db, b["id"], "not-the-token", {}, {})
    work.complete(db, b["id"], b["lease_token"], {}, {})
    assert plans.get_plan(db, plan_id).status == "COMPLETED"
    story = [(e.type, e.to_status) for e in list_events(db, plan_id)]
    assert story == [
        ("PLAN_CREATED", "DRAFT"),
        ("PLAN_START", "EXECUTING"),
        ("STEP_READY", "READY"),
        ("STEP_CLAIMED", "ASSIGNED"),
        ("STEP_STARTED", "EXECUTING"),
        ("STEP_COMPLETED", "COMPLETED"),
        ("STEP_READY", "READY"),
        ("STEP_CLAIMED", "ASSIGNED"),
        ("STEP_COMPLETED", "COMPLETED"),
        ("PLAN_COMPLETED", "COMPLETED"),
    ]
    seqs = [e.seq for e in list_events(db, plan_id)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_retry_with_backoff_then_exhaustion_fails_fast(db: Database) -> None:
    plan_id = _plan(
        db,
        [
            {"key": "F", "kind": "noop", "max_retries": 1},
            {"key": "OTHER", "kind": "noop", "depends_on": ["F"]},
        ],
    )
    [f] = _claim_all(db, plan_id)
    assert work.fail(db, f["id"], f["lease_token"], "boom") == "READY"
    assert _claim_all(db, plan_id) == []  # held back by the 1 s backoff
    time.sleep(1.2)
    [again] = _claim_all(db, plan_id)
    assert again["attempt"] == 2
    assert work.fail(db, again["id"], again["lease_token"], "boom again") == "FAILED"
    plan = plans.get_plan(db, plan_id)
    assert plan.status == "FAILED"
    assert {s.key: s.status.value for s in plan.steps} == {"F": "FAILED", "OTHER": "CANCELLED"}


def test_continue_lets_independent_branches_finish(db: Database) -> None:
    plan_id = _plan(
        db,
        [
            {"key": "BAD", "kind": "noop"},
            {"key": "GOOD", "kind": "noop"},
            {"key": "AFTER", "kind": "noop", "depends_on": ["BAD"]},
        ],
        on_failure="CONTINUE",
    )
    claimed = {s["key"]: s for s in _claim_all(db, plan_id)}
    work.fail(db, claimed["BAD"]["id"], claimed["BAD"]["lease_token"], "x", retryable=False)
    assert plans.get_plan(db, plan_id).status == "EXECUTING"
    work.complete(db, claimed["GOOD"]["id"], claimed["GOOD"]["lease_token"], {}, {})
    plan = plans.get_plan(db, plan_id)
    assert plan.status == "FAILED"
    assert {s.key: s.status.value for s in plan.steps}["AFTER"] == "PENDING"


def test_expired_lease_and_timeout_are_taken_back(db: Database) -> None:
    plan_id = _plan(
        db,
        [
            {"key": "L", "kind": "noop", "max_retries": 1},
            {"key": "T", "kind": "noop", "timeout_seconds": 0.5, "is_critical": False},
        ],
    )
    steps = {
        s["key"]: s
        for s in work.claim(db, "dead-worker", ["noop"], [], 100, 2.0)
        if s["plan_id"] == plan_id
    }
    work.heartbeat(db, steps["T"]["id"], steps["T"]["lease_token"], 60)
    time.sleep(2.5)
    work.sweep(db)  # the API process's own sweeper may have taken them back already
    plan = {s.key: s for s in plans.get_plan(db, plan_id).steps}
    # A lost lease is not a failed attempt (DESIGN.md section 8): no retry spent.
    assert plan["L"].status == "READY" and plan["L"].retry_count == 0
    assert plan["L"].lease_losses == 1
    assert plan["T"].status == "FAILED" and "timed out" in (plan["T"].error_message or "")
    with pytest.raises(ConflictError):
        work.complete(db, steps["L"]["id"], steps["L"]["lease_token"], {}, {})
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_joins_are_made_ready_when_their_last_two_dependencies_complete_at_once(
    db: Database,
) -> None:
    """Agents A and B finish A_i and B_i, i = 0, 1, ..., side by side, one completion per
    transaction: whichever reads D_i's dependencies second must see the other's
    completion, or D_i would stay PENDING for good."""
    cap = f"join-{new_id()}"
    n = 60
    steps: list[dict[str, Any]] = []
    for i in range(n):
        steps += [
            {"key": f"A{i}", "kind": "noop", "requires_capabilities": [f"{cap}-A"]},
            {"key": f"B{i}", "kind": "noop", "requires_capabilities": [f"{cap}-B"]},
            {
                "key": f"D{i}",
                "kind": "task",
                "description": "join",
                "depends_on": [f"A{i}", f"B{i}"],
            },
        ]
    plan_id = _plan(db, steps)
    claimed = {
        s["key"]: s
        for side in "AB"
        for s in work.claim(db, f"{cap}-{side}", ["noop"], [f"{cap}-{side}"], max_steps=n)
    }
    assert len(claimed) == 2 * n

    def finish(side: str) -> None:
        for i in range(n):
            step = claimed[f"{side}{i}"]
            work.complete_many(db, [work.Completion(step["id"], step["lease_token"])], side)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(finish, "AB"))
    statuses = {s.key: s.status.value for s in plans.get_plan(db, plan_id).steps}
    assert [k for k, v in statuses.items() if k[0] == "D" and v != "READY"] == []
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")

"""Chain leases (DESIGN.md section 2): a claim with ``chain`` leases the steps that can only
run after a claimed one; they complete in one batch, in order; a crash, a failure or a
coordinator's change returns the held part of the chain. On a real Neo4j."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from graphsvc import ConflictError
from graphsvc.domain import parse_spec
from graphsvc.domain.rules import Completion
from graphsvc.engine import changes, lifecycle, work
from graphsvc.engine.lifecycle import list_events
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, plans
from graphsvc.store._modifications import Actor

# A -> B -> C, then C fans out to D and E (so the chain of A stops at C); F needs C and D.
_STEPS: list[dict[str, Any]] = [
    {"key": "A", "kind": "noop"},
    {"key": "B", "kind": "noop", "depends_on": ["A"]},
    {"key": "C", "kind": "noop", "depends_on": ["B"]},
    {"key": "D", "kind": "noop", "depends_on": ["C"]},
    {"key": "E", "kind": "noop", "depends_on": ["C"]},
    {"key": "F", "kind": "noop", "depends_on": ["C", "D"]},
]


def _plan(db: Database, steps: list[dict[str, Any]] = _STEPS) -> str:
    created = create_plan(db, parse_spec({"name": "chains", "steps": steps}))
    lifecycle.transition_plan(db, created.id, "start", actor="test")
    return created.id


def _claim(db: Database, agent: str, plan_id: str, lease: float = 60.0) -> list[dict[str, Any]]:
    return work.claim(db, agent, ["noop"], [], 10, lease, [plan_id], chain=True)


def _statuses(db: Database, plan_id: str) -> dict[str, str]:
    return {s.key: s.status.value for s in plans.get_plan(db, plan_id).steps}


def _story(db: Database, plan_id: str) -> list[tuple[str, str | None]]:
    """The plan's events in order, as (type, step key)."""
    keys = {s.id: s.key for s in plans.get_plan(db, plan_id).steps}
    return [(e.type, keys.get(e.step_id or "")) for e in list_events(db, plan_id)]


def _done(step: dict[str, Any], **times: datetime) -> Completion:
    return Completion(step["id"], step["lease_token"], {"from": step["key"]}, None, **times)


def test_a_chain_is_leased_with_its_step_and_completes_in_one_batch(db: Database) -> None:
    plan_id = _plan(db)
    agent = f"chainer-{new_id()}"
    claimed = _claim(db, agent, plan_id)
    # A, then its chain: B (the only dependent of A, depending on A alone), then C; not D
    # or E (C has two dependents).
    assert [(s["key"], s["chained_after"]) for s in claimed] == [
        ("A", None),
        ("B", claimed[0]["id"]),
        ("C", claimed[1]["id"]),
    ]
    assert _statuses(db, plan_id) == {
        "A": "ASSIGNED",
        "B": "ASSIGNED",
        "C": "ASSIGNED",
        "D": "PENDING",
        "E": "PENDING",
        "F": "PENDING",
    }
    a, b, c = claimed
    # B is held behind A: it cannot start or fail before A completes.
    with pytest.raises(ConflictError, match="chained after"):
        work.start(db, b["id"], b["lease_token"])
    with pytest.raises(ConflictError, match="chained after"):
        work.fail(db, b["id"], b["lease_token"], "no", retryable=False)
    ran = datetime.now(UTC)  # when the worker finished B; it reports it a moment later
    time.sleep(0.3)
    too_early = ran - timedelta(hours=1)  # before the claim: not believed
    done = work.complete_many(
        db,
        [_done(a), _done(b, completed_at=ran), _done(c, completed_at=too_early)],
        agent,
        agent=agent,
    )
    assert [o["status"] for o in done.outcomes] == ["COMPLETED"] * 3
    assert _statuses(db, plan_id) == {
        "A": "COMPLETED",
        "B": "COMPLETED",
        "C": "COMPLETED",
        "D": "READY",
        "E": "READY",
        "F": "PENDING",
    }
    story = [
        (t, k)
        for t, k in _story(db, plan_id)
        if t in ("STEP_CLAIMED", "STEP_CHAINED", "STEP_COMPLETED")
    ]
    assert story == [
        ("STEP_CLAIMED", "A"),
        ("STEP_CHAINED", "B"),
        ("STEP_CHAINED", "C"),
        ("STEP_COMPLETED", "A"),
        ("STEP_COMPLETED", "B"),
        ("STEP_COMPLETED", "C"),
    ]
    steps = {s.key: s for s in plans.get_plan(db, plan_id).steps}
    b_done, c_done = steps["B"].completed_at, steps["C"].completed_at
    assert b_done is not None and abs((b_done - ran).total_seconds()) < 0.01  # the worker's time
    assert c_done is not None and c_done > ran - timedelta(seconds=5)  # the claim's, at least
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_chained_step_completes_only_after_the_step_before_it(db: Database) -> None:
    plan_id = _plan(db)
    agent = f"chainer-{new_id()}"
    a, b, c = _claim(db, agent, plan_id)
    first = work.complete_many(db, [_done(b), _done(a)], agent)
    assert "chained after" in first.outcomes[0]["error"].message
    assert first.outcomes[1]["status"] == "COMPLETED"
    # A has completed: B is now an ordinary leased step, and C follows it in a batch.
    again = work.complete_many(db, [_done(b), _done(c)], agent)
    assert [o["status"] for o in again.outcomes] == ["COMPLETED", "COMPLETED"]
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_lost_lease_returns_the_held_part_of_the_chain(db: Database) -> None:
    plan_id = _plan(db)
    agent = f"crasher-{new_id()}"
    a, b, _c = _claim(db, agent, plan_id, lease=1)
    time.sleep(1.5)
    while work.sweep(db):
        pass
    assert _statuses(db, plan_id)["A"] == "READY"
    assert (_statuses(db, plan_id)["B"], _statuses(db, plan_id)["C"]) == ("PENDING", "PENDING")
    types = _story(db, plan_id)
    assert ("STEP_CHAIN_RELEASED", "B") in types and ("STEP_CHAIN_RELEASED", "C") in types
    # The held steps never started: no lease of theirs was lost.
    b_now = next(s for s in plans.get_plan(db, plan_id).steps if s.key == "B")
    assert not b_now.lease_losses
    # The crashed worker's completion is refused; another claimer gets the chain again.
    late = work.complete_many(db, [_done(a), _done(b)], agent)
    assert all("error" in o for o in late.outcomes)
    again = _claim(db, f"second-{new_id()}", plan_id)
    assert [s["key"] for s in again] == ["A", "B", "C"]
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_failed_step_returns_its_chain(db: Database) -> None:
    plan_id = _plan(db, [{**s, "max_retries": 2} for s in _STEPS])
    agent = f"failer-{new_id()}"
    a, b, _c = _claim(db, agent, plan_id)
    assert work.fail(db, a["id"], a["lease_token"], "boom", retryable=True) == "READY"
    statuses = _statuses(db, plan_id)
    assert (statuses["A"], statuses["B"], statuses["C"]) == ("READY", "PENDING", "PENDING")
    with pytest.raises(ConflictError):
        work.complete(db, b["id"], b["lease_token"], {}, None)
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_coordinators_change_takes_a_step_out_of_its_chain(db: Database) -> None:
    plan_id = _plan(db)
    agent = f"chainer-{new_id()}"
    a, b, c = _claim(db, agent, plan_id)
    boss = Actor("coordinator")
    changes.update_step(db, c["id"], {"name": "renamed"}, boss, "a better name")
    statuses = _statuses(db, plan_id)
    assert (statuses["B"], statuses["C"]) == ("ASSIGNED", "PENDING")  # C left, B stays
    changes.cancel_step(db, b["id"], boss, "not needed")
    done = work.complete_many(db, [_done(a), _done(b), _done(c)], agent)
    assert done.outcomes[0]["status"] == "COMPLETED"
    assert [o["error"].http_status for o in done.outcomes[1:]] == [409, 409]
    # B cancelled stops gating: C runs, outside any chain.
    assert _statuses(db, plan_id)["C"] == "READY"
    types = _story(db, plan_id)
    assert types.index(("STEP_CHAIN_RELEASED", "C")) < types.index(
        ("PLAN_MODIFIED_MODIFY_STEP", "C")
    )
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_chain_stops_at_a_join_a_kind_or_a_reservation(db: Database) -> None:
    agent = f"picky-{new_id()}"
    plan_id = _plan(
        db,
        [
            {"key": "A", "kind": "noop"},
            {"key": "B", "kind": "noop", "depends_on": ["A"]},
            {"key": "C", "kind": "task", "description": "t", "depends_on": ["B"]},
            {"key": "X", "kind": "noop"},
            {"key": "Y", "kind": "noop", "depends_on": ["X"]},
        ],
    )
    # C is of a kind the claimer does not take; Y is reserved for another agent.
    y = next(s for s in plans.get_plan(db, plan_id).steps if s.key == "Y")
    changes.update_step(db, y.id, {"assignee": "someone-else"}, Actor("boss"), "theirs")
    claimed = _claim(db, agent, plan_id)
    assert sorted((s["key"], s["chained_after"] is not None) for s in claimed) == [
        ("A", False),
        ("B", True),
        ("X", False),
    ]
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_without_chain_a_claim_takes_only_ready_steps(db: Database) -> None:
    plan_id = _plan(db)
    claimed = work.claim(db, f"plain-{new_id()}", ["noop"], [], 10, 60, [plan_id])
    assert [(s["key"], s["chained_after"]) for s in claimed] == [("A", None)]
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_chain_longer_than_one_walk_is_leased_whole_up_to_max_steps(db: Database) -> None:
    steps = [
        {"key": f"L{i}", "kind": "noop", "depends_on": [f"L{i - 1}"] if i else []}
        for i in range(200)
    ]
    plan_id = _plan(db, steps)
    claimed = work.claim(db, f"long-{new_id()}", ["noop"], [], 150, 60, [plan_id], chain=True)
    assert [s["key"] for s in claimed] == [f"L{i}" for i in range(150)]
    assert all(s["chained_after"] == b["id"] for b, s in itertools.pairwise(claimed))
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_human_gate_is_never_chained(db: Database) -> None:
    plan_id = _plan(
        db,
        [
            {"key": "A", "kind": "noop"},
            {"key": "GATE", "kind": "approval", "description": "ok?", "depends_on": ["A"]},
        ],
    )
    agent = f"greedy-{new_id()}"
    claimed = work.claim(
        db, agent, ["noop", "approval", "human_input"], [], 10, 60, [plan_id], chain=True
    )
    assert [s["key"] for s in claimed] == ["A"]  # the gate waits for a person, not a worker
    work.complete_many(db, [_done(claimed[0])], agent)
    assert _statuses(db, plan_id)["GATE"] == "WAITING"
    lifecycle.transition_plan(db, plan_id, "cancel", actor="test")


def test_a_fail_fast_plan_cancels_its_held_chained_steps(db: Database) -> None:
    plan_id = _plan(
        db,
        [
            *_STEPS[:3],
            {"key": "X", "kind": "noop", "is_critical": True},
        ],
    )
    agent = f"chainer-{new_id()}"
    claimed = _claim(db, agent, plan_id)
    by_key = {s["key"]: s for s in claimed}
    assert set(by_key) == {"A", "B", "C", "X"}
    x = by_key["X"]
    assert work.fail(db, x["id"], x["lease_token"], "broken", retryable=False) == "FAILED"
    statuses = _statuses(db, plan_id)
    # A runs on (it was leased); B and C, held behind it, had not started: cancelled.
    assert (statuses["A"], statuses["B"], statuses["C"]) == ("ASSIGNED", "CANCELLED", "CANCELLED")
    late = work.complete_many(db, [_done(by_key[k]) for k in "ABC"], agent)
    assert [o.get("status") for o in late.outcomes] == ["COMPLETED", "CANCELLED", "CANCELLED"]

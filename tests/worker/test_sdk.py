"""A worker written with the SDK (``graphsvc.Worker``, ``@worker.step``, ``StepContext``)
runs a plan to its end against the real API: sync and async handlers, prior work, a
custom kind, a spawn, a cancelled step whose handler sees ``ctx.cancelled``, and a
``StepFailed(retryable=False)`` that no retry repeats."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from graphsvc import StepContext, StepFailed, Worker
from graphsvc.store import Database, plans
from tests.helpers import KEYS, auth, plan_transitions


def test_a_plan_runs_to_its_end_on_sdk_handlers(live_api: str, db: Database) -> None:
    spec = {
        "name": "sdk",
        "on_failure": "CONTINUE",
        "steps": [
            {"key": "A", "kind": "task", "description": "echo", "inputs": {"x": 42}},
            {"key": "B", "kind": "synthesize", "description": "sum up", "depends_on": ["A"]},
            {"key": "C", "kind": "planner", "description": "plan more"},
            {"key": "D", "kind": "command", "description": "wait for a cancel"},
            {"key": "F", "kind": "summarize", "description": "a custom kind", "depends_on": ["A"]},
            {
                "key": "E",
                "kind": "task",
                "description": "fails for good",
                "inputs": {"fail": True},
                "max_retries": 2,
                "is_critical": False,
            },
        ],
    }
    coordinator = httpx.Client(base_url=live_api, headers=auth("coordinator"), timeout=30)
    created = coordinator.post("/v1/plans", json=spec).json()
    plan_id, ids = created["id"], created["step_ids"]
    worker = Worker(live_api, key=KEYS["admin"], slots=4, wait_seconds=0.2, plan_ids=[plan_id])
    seen: dict[str, Any] = {}
    d_running = threading.Event()

    @worker.step("task")
    def task(ctx: StepContext) -> dict[str, Any]:
        if ctx.inputs.get("fail"):
            seen["E attempts"] = seen.get("E attempts", 0) + 1
            raise StepFailed("not today", retryable=False)
        ctx.changeset["a"] = ctx.inputs["x"]
        return {"echo": ctx.inputs["x"], "attempt": ctx.attempt}

    @worker.step("synthesize")
    async def synthesize(ctx: StepContext) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"after": [w["key"] for w in ctx.prior_work]}

    @worker.step("planner")
    def planner(ctx: StepContext) -> None:
        child = {"name": "child", "steps": [{"key": "K", "kind": "noop"}]}
        seen["children"] = ctx.spawn(plans=[child])

    @worker.step("summarize")  # a custom kind: the API stores and routes it like any other
    def summarize(ctx: StepContext) -> dict[str, Any]:
        return {"summary": f"{ctx.step.kind} of {[w['key'] for w in ctx.prior_work]}"}

    @worker.step("command")
    def wait_for_cancel(ctx: StepContext) -> dict[str, Any]:
        d_running.set()
        ctx.cancel_event.wait(30)
        seen["D cancelled"] = ctx.cancelled
        return {"late": True}

    kinds = ["command", "noop", "planner", "subplan", "summarize", "synthesize", "task"]
    assert worker.kinds == kinds
    worker.start()
    try:
        assert coordinator.post(f"/v1/plans/{plan_id}/start").status_code == 200
        assert d_running.wait(30)
        cancelled = coordinator.post(f"/v1/steps/{ids['D']}/cancel", json={"reason": "enough"})
        assert cancelled.status_code == 200, cancelled.text
        deadline = time.monotonic() + 60
        while plans.get_plan(db, plan_id).status.value == "EXECUTING":
            assert time.monotonic() < deadline, "the plan did not finish"
            time.sleep(0.2)
    finally:
        worker.stop()
    plan = plans.get_plan(db, plan_id)
    steps = {s.key: s for s in plan.steps}
    assert plan.status.value == "COMPLETED"
    assert steps["A"].outputs == {"echo": 42, "attempt": 1} and steps["A"].changeset == {"a": 42}
    assert steps["B"].outputs == {"after": ["A"]}
    assert steps["C"].status.value == "COMPLETED"
    assert len(seen["children"]) == 1
    assert plans.get_plan(db, seen["children"][0]).status.value == "COMPLETED"
    assert steps["D"].status.value == "CANCELLED" and seen["D cancelled"] is True
    assert steps["E"].status.value == "FAILED" and steps["E"].retry_count == 0
    assert steps["F"].kind == "summarize" and steps["F"].outputs == {
        "summary": "summarize of ['A']"
    }
    assert seen["E attempts"] == 1


def test_the_typed_client_answers_with_the_apis_models(live_api: str) -> None:
    from graphsvc import Client, ConflictError, ValidationFailed
    from graphsvc.domain.models import PlanCreated, PlanPublic, StepDetail

    with Client(live_api, api_key=KEYS["coordinator"]) as client:
        created = client.create_plan({"name": "typed", "steps": [{"key": "A", "kind": "noop"}]})
        assert isinstance(created, PlanCreated) and created.status.value == "DRAFT"
        from_tickets = client.create_plan_from_tickets("# T\n---\n# A: One [noop]\n")
        assert from_tickets.step_count == 1
        assert client.transition_plan(created.id, "start").value == "EXECUTING"
        plan = client.get_plan(created.id)
        assert isinstance(plan, PlanPublic) and [s.key for s in plan.steps] == ["A"]
        assert isinstance(client.get_step(created.step_ids["A"]), StepDetail)
        assert created.id in {p.id for p in client.list_plans(limit=200)}
        assert client.plan_tree(created.id)["root"]["id"] == created.id
        assert client.transition_plan(created.id, "cancel", reason="done").value == "CANCELLED"
        with pytest.raises(ConflictError):
            client.transition_plan(created.id, "pause")
        with pytest.raises(ValidationFailed):
            client.create_plan({"name": "bad", "steps": [{"key": "A", "kind": "No Pe"}]})


def _run_until_done(worker: Worker, db: Database, plan_id: str) -> str:
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = plans.get_plan(db, plan_id, limit=1).status.value
            if status in ("COMPLETED", "FAILED"):
                return status
            time.sleep(0.05)
        raise AssertionError("the plan did not end in 60 s")
    finally:
        worker.stop()


def test_by_default_a_linear_run_of_noop_steps_goes_by_chains(live_api: str, db: Database) -> None:
    steps = [
        {"key": f"S{i}", "kind": "noop", "depends_on": [f"S{i - 1}"] if i else []}
        for i in range(150)
    ]
    coordinator = httpx.Client(base_url=live_api, headers=auth("coordinator"), timeout=30)
    plan_id = coordinator.post("/v1/plans?start=true", json={"name": "c", "steps": steps}).json()[
        "id"
    ]
    worker = Worker(live_api, key=KEYS["admin"], slots=2, wait_seconds=0.2, plan_ids=[plan_id])
    assert _run_until_done(worker, db, plan_id) == "COMPLETED"
    story = plan_transitions(db, plan_id)
    claims = sum(1 for t, _ in story if t == "STEP_CLAIMED")
    chained = sum(1 for t, _ in story if t == "STEP_CHAINED")
    # 150 steps: the first claim takes S0 alone (one step of real work at a time), each
    # completion claims the next READY step with up to 63 behind it.
    assert claims + chained == 150 and claims <= 5
    done = [k for t, k in story if t == "STEP_COMPLETED"]
    assert done == [f"S{i}" for i in range(150)]  # events in the true order


def test_a_chained_handler_gets_the_outputs_of_the_step_before(live_api: str, db: Database) -> None:
    kind = "chain-echo"
    steps = [
        {"key": "A", "kind": kind, "description": "first", "inputs": {"n": 1}},
        {"key": "B", "kind": kind, "description": "second", "depends_on": ["A"]},
        {"key": "C", "kind": kind, "description": "third", "depends_on": ["B"]},
    ]
    coordinator = httpx.Client(base_url=live_api, headers=auth("coordinator"), timeout=30)
    plan_id = coordinator.post("/v1/plans?start=true", json={"name": "c", "steps": steps}).json()[
        "id"
    ]
    worker = Worker(
        live_api, key=KEYS["admin"], slots=1, batch=3, wait_seconds=0.2, plan_ids=[plan_id]
    )
    seen: dict[str, list[Any]] = {}

    @worker.step(kind)
    def echo(ctx: StepContext) -> dict[str, Any]:
        seen[ctx.step.key] = [(w["key"], w["outputs"]) for w in ctx.prior_work]
        before = ctx.prior_work[0]["outputs"]["n"] if ctx.prior_work else 0
        return {"n": before + 1}

    assert _run_until_done(worker, db, plan_id) == "COMPLETED"
    assert seen == {"A": [], "B": [("A", {"n": 1})], "C": [("B", {"n": 2})]}
    story = plan_transitions(db, plan_id)
    assert [k for t, k in story if t == "STEP_CHAINED"] == ["B", "C"]

"""The worker's registry of handlers, without Neo4j or an API."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsvc import StepContext, Worker
from graphsvc.worker import ClaimedStep, ExecutorConfig
from graphsvc.worker.executors import builtin_handlers


def test_builtins_follow_the_configuration() -> None:
    assert sorted(builtin_handlers(ExecutorConfig())) == ["noop", "subplan"]
    everything = ExecutorConfig(allow_commands=True, agent_cmd="agent")
    assert sorted(builtin_handlers(everything)) == [
        "command",
        "noop",
        "planner",
        "subplan",
        "synthesize",
        "task",
    ]


def test_handlers_register_by_kind_and_replace_builtins() -> None:
    worker = Worker("http://127.0.0.1:9", agent_id="a", key="k")

    @worker.step("task")
    def task(ctx: StepContext) -> dict[str, str]:
        return {"ok": ctx.step.key}

    assert worker.kinds == ["noop", "subplan", "task"]
    assert Worker("http://127.0.0.1:9", key="k", builtins=False).kinds == []


def test_custom_kinds_are_welcome_and_names_the_api_refuses_are_refused_at_once() -> None:
    worker = Worker("http://127.0.0.1:9", agent_id="a", key="k")
    worker.register("summarize", lambda ctx: {})
    worker.register("llm/review-code", lambda ctx: {})
    assert {"summarize", "llm/review-code"} <= set(worker.kinds)
    for bad in ("Summarize", "two words", "", "x" * 65):
        with pytest.raises(ValueError, match="invalid step kind"):
            worker.register(bad, lambda ctx: {})
        assert bad not in worker.kinds


def test_a_claimed_step_is_typed_from_the_claims_json(tmp_path: Path) -> None:
    step = ClaimedStep.from_api(
        {
            "id": "s1",
            "key": "K",
            "kind": "task",
            "name": "",
            "plan_id": "p1",
            "lease_token": "t",
            "attempt": 2,
            "inputs": {"x": 1},
            "extra": "ignored",
        }
    )
    assert (step.name, step.attempt, step.inputs, step.prior_work) == ("K", 2, {"x": 1}, [])
    assert step.as_dict()["lease_token"] == "t"

"""Planner steps run by the built-in worker against the real API and Neo4j: the output is
compiled into a child plan that runs to completion; empty output and compile errors fail
the step with the messages of DESIGN.md section 3."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsvc.domain import compile_tickets, parse_spec
from graphsvc.domain.models import PlanPublic
from graphsvc.engine import lifecycle
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database, plans, steps
from graphsvc.worker import ApiClient, ExecutorConfig, Worker
from tests.helpers import KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def worker(live_api: str, tmp_path: Path) -> Iterator[Worker]:
    running = Worker(
        ApiClient(live_api, KEYS["worker"]),
        ExecutorConfig(allow_commands=True, workdir=Path(__file__).resolve().parents[2]),
        slots=2,
        wait_seconds=0.2,
    )
    running.start()
    yield running
    running.stop()


def _run(db: Database, text: str) -> PlanPublic:
    plan_id = create_plan(db, compile_tickets(text)).id
    lifecycle.transition_plan(db, plan_id, "start")
    return _wait(db, plan_id)


def _wait(db: Database, plan_id: str, timeout: float = 60) -> PlanPublic:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan = plans.get_plan(db, plan_id)
        if plan.status.value in ("COMPLETED", "FAILED", "CANCELLED"):
            return plan
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not finish in {timeout} s")


def test_the_planner_example_runs_its_child_plan_to_completion(
    db: Database, worker: Worker
) -> None:
    plan = _run(db, (EXAMPLES / "planner.md").read_text())
    assert plan.status.value == "COMPLETED"
    planner = next(s for s in plan.steps if s.key == "PLAN")
    assert planner.outputs is not None
    child_id = planner.outputs["child_plan_id"]
    assert planner.outputs["summary"].startswith("# Count files per folder")
    child = plans.get_plan(db, child_id)
    assert child.status.value == "COMPLETED" and child.parent_step_id == planner.id
    assert {s.key for s in child.steps} == {"GRAPHSVC", "CYPHER", "TESTS", "EXAMPLES"}
    assert all(int(s.outputs["stdout"]) > 0 for s in child.steps if s.outputs)
    detail = steps.get_step(db, planner.id)
    assert [c.status.value for c in detail.child_plans] == ["COMPLETED"]


def test_a_planner_with_empty_output_fails(db: Database, worker: Worker) -> None:
    plan = _run(db, f"# Empty {new_id()}\n---\n# P: Plan nothing [planner]\ntrue\n")
    [step] = plan.steps
    assert step.status.value == "FAILED"
    assert step.error_message == "Planner produced empty output"


def test_a_planner_whose_output_does_not_compile_fails_with_the_error_and_output(
    db: Database, worker: Worker
) -> None:
    body = "echo '# Child'; echo '---'; echo '# X: Loop [prog]'; echo 'blocked_by: [X]'; echo hi"
    plan = _run(db, f"# Broken {new_id()}\n---\n# P: Plan badly [planner]\n{body}\n")
    [step] = plan.steps
    assert step.status.value == "FAILED"
    assert step.error_message is not None
    assert "depend" in step.error_message  # the compile error: X depends on itself
    assert "'# Child\\n---\\n# X: Loop [prog]" in step.error_message  # the output's head


def test_nested_subplan_steps_complete_up_the_family_with_merged_changesets(
    db: Database, worker: Worker
) -> None:
    leaf = '# Leaf\n---\n# W: Write [prog]\necho \'{"leaf": "done"}\' > "$GRAPHSVC_CHANGESET_FILE"'
    middle = {
        "name": "middle",
        "steps": [{"key": "INNER", "kind": "subplan", "inputs": {"tickets": [leaf]}}],
    }
    spec = {
        "name": f"nested {new_id()}",
        "steps": [
            {"key": "OUTER", "kind": "subplan", "inputs": {"plans": [middle], "max_parallel": 1}},
            {"key": "AFTER", "kind": "noop", "depends_on": ["OUTER"]},
        ],
    }
    plan_id = create_plan(db, parse_spec(spec)).id
    lifecycle.transition_plan(db, plan_id, "start")
    plan = _wait(db, plan_id)
    assert plan.status.value == "COMPLETED"
    outer = next(s for s in plan.steps if s.key == "OUTER")
    assert outer.changeset == {"leaf": "done"}
    [middle_id] = outer.outputs["child_plan_ids"] if outer.outputs else []
    inner = plans.get_plan(db, middle_id).steps[0]
    assert inner.changeset == {"leaf": "done"} and inner.status.value == "COMPLETED"
    assert plans.get_plan(db, inner.outputs["child_plan_id"] if inner.outputs else "").depth == 2

"""The engine's pure rules (``graphsvc.domain.rules``), without Neo4j: retry backoff,
claim routing, progress, which plans may change, judging a completion, a child plan's
outcome."""

from __future__ import annotations

import pytest

from graphsvc._errors import ConflictError, NotFoundError, PermissionDenied
from graphsvc.domain.leases import hash_token
from graphsvc.domain.rules import (
    Completion,
    backoff_seconds,
    carried_over,
    check_changeable,
    child_outcome,
    completion_digest,
    judge_completion,
    progress_of,
    routing_capability,
)


def test_backoff_doubles_from_one_second_up_to_five_minutes() -> None:
    assert [backoff_seconds(n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_seconds(20) == 300.0


def test_a_step_is_routed_by_its_first_capability_in_sorted_order() -> None:
    assert routing_capability([]) == ""
    assert routing_capability(["llm", "docker"]) == "docker"


def test_progress_counts_terminal_steps_at_the_moment_of_asking() -> None:
    progress = progress_of(["COMPLETED", "SKIPPED", "READY", "FAILED", "PENDING"])
    assert (progress.total, progress.terminal, progress.percent) == (5, 3, 60.0)
    assert progress.by_status == {
        "COMPLETED": 1,
        "FAILED": 1,
        "PENDING": 1,
        "READY": 1,
        "SKIPPED": 1,
    }
    assert progress_of([]).percent == 0.0


def test_finished_plans_and_locked_plans_refuse_changes() -> None:
    check_changeable({"id": "p", "status": "EXECUTING"})
    check_changeable({"id": "p", "status": "FAILED"}, allow_failed=True)
    for plan in (
        {"id": "p", "status": "COMPLETED"},
        {"id": "p", "status": "FAILED"},
        {"id": "p", "status": "DRAFT", "can_modify": False},
    ):
        with pytest.raises(ConflictError):
            check_changeable(plan)


def _leased(status: str = "EXECUTING", holder: str | None = "a1") -> dict[str, object]:
    return {"id": "s", "status": status, "lease_hash": hash_token("t"), "lease_holder": holder}


def test_a_completion_is_applied_repeated_or_refused() -> None:
    item = Completion("s", "t", {"x": 1})
    digest = completion_digest(item.outputs, item.changeset)
    assert judge_completion(_leased(), item, digest, "a1") is None
    assert isinstance(judge_completion(None, item, digest, None)["error"], NotFoundError)
    denied = judge_completion(_leased(), item, digest, "a2")
    assert isinstance(denied["error"], PermissionDenied)
    stale = judge_completion(_leased(), Completion("s", "other"), digest, None)
    assert isinstance(stale["error"], ConflictError)
    done = {**_leased("COMPLETED"), "completion_digest": digest}
    assert judge_completion(done, item, digest, None) == {
        "step_id": "s",
        "status": "COMPLETED",
        "repeated": True,
    }
    other = completion_digest({"x": 2}, None)
    assert isinstance(judge_completion(done, item, other, None)["error"], ConflictError)


def test_a_child_plans_outcome_names_its_first_failed_step() -> None:
    plan = {"id": "c1", "name": "child", "status": "FAILED"}
    steps = [
        {"key": "A", "status": "COMPLETED", "error": None},
        {"key": "B", "status": "FAILED", "error": "boom"},
    ]
    assert child_outcome(plan, steps) == "child plan 'child' (c1) FAILED: step B: boom"
    assert child_outcome({**plan, "status": "CANCELLED"}, []) == "child plan 'child' (c1) CANCELLED"


def test_a_replan_carries_over_unchanged_completed_steps_whose_upstream_is_carried_too() -> None:
    from graphsvc.domain.models import StepSpec

    def new(key: str, text: str = "x", deps: tuple[str, ...] = ()) -> StepSpec:
        return StepSpec(key=key, kind="task", description=text, depends_on=list(deps))

    def old(key: str, status: str = "COMPLETED", text: str = "x", *deps: str) -> dict[str, object]:
        return {
            "id": f"old-{key}",
            "key": key,
            "kind": "task",
            "description": text,
            "inputs": "{}",
            "status": status,
            "depends_on": list(deps),
        }

    olds = [
        old("A"),
        old("B", "COMPLETED", "x", "A"),
        old("C", "COMPLETED", "x", "B"),
        old("D", "FAILED"),
        old("E"),
    ]
    steps = [
        new("A"),
        new("B", "changed", ("A",)),
        new("C", "x", ("B",)),
        new("D"),
        new("E", "x", ("A",)),
    ]
    # A unchanged; B changed; C unchanged but its upstream B runs again; D not COMPLETED;
    # E gained a dependency.
    assert carried_over(steps, olds) == {"A": "old-A"}
    assert carried_over([new("A"), new("B", "x", ("A",))], olds) == {"A": "old-A", "B": "old-B"}

"""The pure rules that still sit in the store (issue 19 moves them to domain/), without
Neo4j: retry backoff, claim routing, progress."""

from __future__ import annotations

from graphsvc.store.plans import progress_of, routing_capability
from graphsvc.store.work import backoff_seconds


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

"""The store's retry policy, without Neo4j: what is tried again, for how long, and what
becomes a 413 or a 503."""

from __future__ import annotations

from graphsvc.store._db import retry_policy

OOM = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"
DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"


def test_a_transaction_that_worked_long_and_ran_out_of_memory_is_too_large_at_once() -> None:
    assert retry_policy(OOM, False, 5.0, 5.0, 10.0) == "too_large"


def test_a_quick_one_that_met_a_full_memory_pool_is_tried_again_within_the_timeout() -> None:
    assert retry_policy(OOM, False, 0.1, 0.1, 10.0) == "retry"
    assert retry_policy(OOM, False, 0.1, 11.0, 10.0) == "unavailable"


def test_a_transaction_over_its_own_limit_is_too_large_however_quick() -> None:
    own = "Neo.ClientError.General.TransactionOutOfMemoryError"
    assert retry_policy(own, False, 0.1, 0.1, 10.0) == "too_large"


def test_a_commit_whose_answer_was_lost_is_never_run_again() -> None:
    assert retry_policy(None, True, 0.1, 0.1, 10.0, outcome_unknown=True) == "unavailable"


def test_deadlocks_are_retried_for_two_minutes_then_unavailable() -> None:
    assert retry_policy(DEADLOCK, False, 0.1, 100.0, 10.0) == "retry"
    assert retry_policy(DEADLOCK, False, 0.1, 121.0, 10.0) == "unavailable"


def test_a_lost_connection_is_retried_within_the_timeout_then_unavailable() -> None:
    assert retry_policy(None, True, 0.1, 3.0, 10.0) == "retry"
    assert retry_policy(None, True, 0.1, 10.5, 10.0) == "unavailable"
    unavailable = "Neo.TransientError.General.DatabaseUnavailable"
    assert retry_policy(unavailable, False, 0.1, 10.5, 10.0) == "unavailable"


def test_other_errors_are_the_callers() -> None:
    assert retry_policy("Neo.ClientError.Statement.SyntaxError", False, 0.1, 0.1, 10.0) == "raise"
    assert retry_policy("Neo.ClientError.Schema.ConstraintValidationFailed", False, 0, 0, 10) == (
        "raise"
    )

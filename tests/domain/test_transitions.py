"""The transition table, without Neo4j."""

from __future__ import annotations

from graphsvc.domain.states import (
    PLAN_TERMINAL,
    SATISFIED_DEPENDENCY,
    STEP_TERMINAL,
    PlanStatus,
    StepStatus,
)
from graphsvc.domain.transitions import (
    COMMUNICATION_STATUSES,
    DECISION_STATUSES,
    MODIFICATION_STATUSES,
    PLAN_TRANSITIONS,
    STEP_TRANSITIONS,
    TRANSITIONS,
    Subject,
    allowed_from,
    find_transition,
    query_parameters,
)

STATUSES: dict[Subject, set[str]] = {
    Subject.STEP: {s.value for s in StepStatus},
    Subject.PLAN: {s.value for s in PlanStatus},
    Subject.DECISION: set(DECISION_STATUSES),
    Subject.MODIFICATION: set(MODIFICATION_STATUSES),
    Subject.COMMUNICATION: set(COMMUNICATION_STATUSES),
}


def test_names_are_unique_per_subject_and_statuses_are_the_subjects_own() -> None:
    assert len({(t.subject, t.name) for t in TRANSITIONS}) == len(TRANSITIONS)
    for t in TRANSITIONS:
        own = STATUSES[t.subject] | {None}
        assert t.from_statuses <= own, t
        assert t.to_status in own, t


def test_nothing_leaves_a_terminal_status_but_retry_rearm_and_reopen() -> None:
    for t in TRANSITIONS:
        terminal = STEP_TERMINAL if t.subject == Subject.STEP else PLAN_TERMINAL
        if t.subject in (Subject.STEP, Subject.PLAN) and t.from_statuses & terminal:
            assert t.name in {"retry", "rearm", "reopen"}, t


def test_the_named_views_follow_the_table() -> None:
    assert STEP_TRANSITIONS["claim"] == ((StepStatus.READY,), StepStatus.ASSIGNED)
    assert set(STEP_TRANSITIONS["complete"][0]) == {StepStatus.ASSIGNED, StepStatus.EXECUTING}
    assert PLAN_TRANSITIONS["complete"][0] == (PlanStatus.EXECUTING, PlanStatus.PAUSED)
    assert allowed_from(Subject.PLAN, "start") == ["APPROVED", "DRAFT"]


def test_an_event_is_found_by_its_type_and_statuses() -> None:
    found = find_transition("STEP_CLAIMED", "READY", "ASSIGNED")
    assert found is not None and found.name == "claim"
    assert find_transition("STEP_CLAIMED", "PENDING", "ASSIGNED") is None
    assert find_transition("PLAN_MODIFIED_ADD_STEP", None, "READY") is not None
    assert find_transition("PLAN_MODIFIED_CANCEL_STEP", None, None) is not None
    assert find_transition("STEP_COMPLETED", "COMPLETED", "COMPLETED") is None


def test_query_parameters_come_from_the_table() -> None:
    """The statuses the service's queries name are the table's (issue 19)."""
    params = query_parameters()
    for t in TRANSITIONS:
        if t.to_status is not None:
            assert params[f"{t.subject}_{t.name}_to"] == t.to_status
        froms = sorted(s for s in t.from_statuses if s is not None)
        assert params.get(f"{t.subject}_{t.name}_from", []) == froms
    assert params["step_claim_to"] == "ASSIGNED"
    assert params["plan_cancel_from"] == ["APPROVED", "DRAFT", "EXECUTING", "PAUSED"]
    assert params["step_satisfied"] == sorted(SATISFIED_DEPENDENCY)
    assert params["agent_active"] == "ACTIVE"

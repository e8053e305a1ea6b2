"""Step and plan statuses and the transitions between them (DESIGN.md section 2).

Each transition names the statuses it may start from; store queries check the
from-status in Cypher (``WHERE s.status IN $allowed_from``) and a write that
changes no row becomes a 409, so a forbidden or lost-race transition never
overwrites silently.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "PLAN_TERMINAL",
    "PLAN_TRANSITIONS",
    "SATISFIED_DEPENDENCY",
    "STEP_TERMINAL",
    "STEP_TRANSITIONS",
    "PlanStatus",
    "StepStatus",
]


class StepStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    EXECUTING = "EXECUTING"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"
    APPROVED = "APPROVED"
    EXECUTING = "EXECUTING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SUPERSEDED = "SUPERSEDED"


STEP_TERMINAL = frozenset(
    {StepStatus.COMPLETED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED}
)
PLAN_TERMINAL = frozenset(
    {PlanStatus.COMPLETED, PlanStatus.FAILED, PlanStatus.CANCELLED, PlanStatus.SUPERSEDED}
)

# Statuses of a dependency that let its dependents run. FAILED counts only
# when the dependency is not critical (is_critical = false). The store's queries take
# this set as a parameter; the Browser files in cypher/ spell it out.
SATISFIED_DEPENDENCY = frozenset({StepStatus.COMPLETED, StepStatus.SKIPPED, StepStatus.CANCELLED})

_UNSTARTED = (StepStatus.PENDING, StepStatus.READY)
_LEASED = (StepStatus.ASSIGNED, StepStatus.EXECUTING)
_LIVE = (*_UNSTARTED, StepStatus.WAITING, *_LEASED)

# transition name -> (allowed from-statuses, to-status)
STEP_TRANSITIONS: dict[str, tuple[tuple[StepStatus, ...], StepStatus]] = {
    "ready": ((StepStatus.PENDING,), StepStatus.READY),
    "block": ((StepStatus.READY,), StepStatus.PENDING),
    "claim": ((StepStatus.READY,), StepStatus.ASSIGNED),
    "start": ((StepStatus.ASSIGNED,), StepStatus.EXECUTING),
    "complete": (_LEASED, StepStatus.COMPLETED),
    "fail": (_LEASED, StepStatus.FAILED),
    "retry_later": (_LEASED, StepStatus.READY),
    "lease_expired": (_LEASED, StepStatus.READY),
    "wait": (_LEASED, StepStatus.WAITING),
    "children_completed": ((StepStatus.WAITING,), StepStatus.COMPLETED),
    "children_failed": ((StepStatus.WAITING,), StepStatus.FAILED),
    "cancel": (_LIVE, StepStatus.CANCELLED),
    "skip": (_LIVE, StepStatus.SKIPPED),
    "retry": ((StepStatus.FAILED,), StepStatus.PENDING),
}

PLAN_TRANSITIONS: dict[str, tuple[tuple[PlanStatus, ...], PlanStatus]] = {
    "approve": ((PlanStatus.DRAFT,), PlanStatus.APPROVED),
    "start": ((PlanStatus.DRAFT, PlanStatus.APPROVED), PlanStatus.EXECUTING),
    "pause": ((PlanStatus.EXECUTING,), PlanStatus.PAUSED),
    "resume": ((PlanStatus.PAUSED,), PlanStatus.EXECUTING),
    "complete": ((PlanStatus.EXECUTING,), PlanStatus.COMPLETED),
    "fail": ((PlanStatus.EXECUTING, PlanStatus.PAUSED), PlanStatus.FAILED),
    "cancel": (
        (PlanStatus.DRAFT, PlanStatus.APPROVED, PlanStatus.EXECUTING, PlanStatus.PAUSED),
        PlanStatus.CANCELLED,
    ),
    "reopen": ((PlanStatus.FAILED,), PlanStatus.EXECUTING),
}

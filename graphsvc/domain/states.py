"""Step and plan statuses and their groups (DESIGN.md section 2). The transitions
between them are in one table, ``graphsvc.domain.transitions``."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "PLAN_TERMINAL",
    "SATISFIED_DEPENDENCY",
    "STEP_TERMINAL",
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

"""Step and plan statuses and their groups (DESIGN.md section 2). The transitions
between them are in one table, ``graphsvc.domain.transitions``."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "PLAN_RUNNING",
    "PLAN_TERMINAL",
    "SATISFIED_DEPENDENCY",
    "STEP_LEASED",
    "STEP_RUNNABLE",
    "STEP_TERMINAL",
    "STEP_UNSTARTED",
    "AgentStatus",
    "AnalysisStatus",
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


class AgentStatus(StrEnum):
    """An agent is ACTIVE when seen within ``inactive_after`` seconds (a claim, heartbeat
    or completion), else INACTIVE."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class AnalysisStatus(StrEnum):
    DRAFT = "DRAFT"
    COMPLETED = "COMPLETED"
    SUPERSEDED = "SUPERSEDED"


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

# Steps not yet started (their dependencies decide between the two).
STEP_UNSTARTED = frozenset({StepStatus.PENDING, StepStatus.READY})
# Steps under a lease.
STEP_LEASED = frozenset({StepStatus.ASSIGNED, StepStatus.EXECUTING})
# Steps that may still end without anyone acting on the plan: ready, leased or waiting.
STEP_RUNNABLE = frozenset(
    {StepStatus.READY, StepStatus.ASSIGNED, StepStatus.EXECUTING, StepStatus.WAITING}
)
# Plans whose steps move on: running, or paused (its running steps still end).
PLAN_RUNNING = frozenset({PlanStatus.EXECUTING, PlanStatus.PAUSED})

"""The domain: models, state machines and the ticket compiler. Pure: no I/O."""

from graphsvc.domain.compiler import compile_tickets
from graphsvc.domain.models import (
    OnFailure,
    PlanCreated,
    PlanPublic,
    PlanSpec,
    PlanSummary,
    Priority,
    Progress,
    StepKind,
    StepPublic,
    StepSpec,
)
from graphsvc.domain.states import PLAN_TERMINAL, STEP_TERMINAL, PlanStatus, StepStatus
from graphsvc.domain.validation import load_spec_text, parse_spec

__all__ = [
    "PLAN_TERMINAL",
    "STEP_TERMINAL",
    "OnFailure",
    "PlanCreated",
    "PlanPublic",
    "PlanSpec",
    "PlanStatus",
    "PlanSummary",
    "Priority",
    "Progress",
    "StepKind",
    "StepPublic",
    "StepSpec",
    "StepStatus",
    "compile_tickets",
    "load_spec_text",
    "parse_spec",
]

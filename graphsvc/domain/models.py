"""Plan and step models (pydantic, no I/O): specs as written, public views as read.

Spec shape (DESIGN.md section 3): every field but ``name``, ``steps`` and each
step's ``key`` is optional. Durations are minutes, timeouts seconds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from graphsvc.domain.states import PlanStatus, StepStatus

__all__ = [
    "GATE_KINDS",
    "KEY_PATTERN",
    "KIND_PATTERN",
    "TAG_KINDS",
    "ChildPlanRef",
    "EventPublic",
    "OnFailure",
    "PlanCreated",
    "PlanPublic",
    "PlanSpec",
    "PlanSummary",
    "Priority",
    "Progress",
    "StepDetail",
    "StepKind",
    "StepKindName",
    "StepPublic",
    "StepRef",
    "StepSpec",
]

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
# A step kind: a built-in one (``StepKind``) or a custom one that a worker registers
# (``@worker.step("summarize")``): lower case, digits, ``_``, and ``.``, ``-`` or
# ``/`` between words, at most 64 characters.
KIND_PATTERN = r"^[a-z][a-z0-9_]*(?:[./-][a-z0-9_]+)*$"
StepKindName = Annotated[str, Field(min_length=1, max_length=64, pattern=KIND_PATTERN)]


class StepKind(StrEnum):
    """What executes a step (DESIGN.md section 3)."""

    TASK = "task"
    SYNTHESIZE = "synthesize"
    COMMAND = "command"
    PLANNER = "planner"
    SUBPLAN = "subplan"
    APPROVAL = "approval"
    HUMAN_INPUT = "human_input"
    NOOP = "noop"


# Ticket tags and the kinds they compile to. Kind names are accepted as tags too.
TAG_KINDS: dict[str, StepKind] = {
    "agent": StepKind.TASK,
    "agent/synthesize": StepKind.SYNTHESIZE,
    "planner": StepKind.PLANNER,
    "prog": StepKind.COMMAND,
    **{kind.value: kind for kind in StepKind},
}

# Bounds of stored numbers, so that nothing accepted can overflow Neo4j's 64-bit
# durations later (a timeout of 1e17 s once broke every claim in the database).
MAX_TIMEOUT_SECONDS = 30 * 86400.0
MAX_ESTIMATE_MINUTES = 10.0**7
DEFAULT_MAX_LEASE_LOSSES = 3  # DESIGN.md section 8: losing the worker is not a failure
MAX_SEQ = 2**63 - 1  # the largest Neo4j integer (64-bit)

# Kinds whose description is the work itself and so may not be empty.
# Steps that wait for a person instead of a worker (DESIGN.md section 3).
GATE_KINDS = frozenset({StepKind.APPROVAL.value, StepKind.HUMAN_INPUT.value})
BODY_REQUIRED = frozenset({StepKind.TASK, StepKind.SYNTHESIZE, StepKind.PLANNER, StepKind.COMMAND})


class Priority(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class OnFailure(StrEnum):
    """What a plan does when a critical step fails for good.

    FAIL_FAST cancels the steps that have not started; CONTINUE lets the
    independent branches finish first. Either way the plan ends FAILED.
    """

    FAIL_FAST = "FAIL_FAST"
    CONTINUE = "CONTINUE"


class RequestBody(BaseModel):
    """What a request sends, and the specs it holds (issue 30): a field the model does not
    know is refused (422 naming it), and types are strict: a number is not a boolean, a
    string is not a number, a float is not an integer. Enum and time fields take their
    JSON text (``strict=False`` on each)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class StepSpec(RequestBody):
    """One step as written in a spec; ``depends_on`` names other steps' keys."""

    model_config = ConfigDict(populate_by_name=True)

    key: str = Field(min_length=1, max_length=100, pattern=KEY_PATTERN)
    name: str | None = Field(default=None, max_length=500)
    kind: StepKindName = StepKind.TASK
    description: str = ""
    depends_on: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)
    requires_capabilities: list[str] = Field(default_factory=list)
    max_retries: int = Field(
        default=0, ge=0, le=100, description="Failed attempts the work itself reports, retried."
    )
    max_lease_losses: int = Field(
        default=DEFAULT_MAX_LEASE_LOSSES,
        ge=0,
        le=100,
        description="Expired leases (a lost worker) that return the step to READY without "
        "spending max_retries; after that an expired lease counts as a failed attempt.",
    )
    timeout_seconds: float | None = Field(
        default=None, gt=0, le=MAX_TIMEOUT_SECONDS, description="Seconds an attempt may run."
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        le=MAX_TIMEOUT_SECONDS,
        description="approval and human_input steps: seconds they may wait for a person; "
        "then the step FAILS ('deadline passed') and its decision is closed.",
    )
    is_critical: bool = True
    can_modify: bool = True
    validate_command: str | None = Field(default=None, alias="validate")
    estimated_duration: float | None = Field(
        default=None, ge=0, le=MAX_ESTIMATE_MINUTES, description="Minutes."
    )

    @property
    def title(self) -> str:
        return self.name or self.key


class PlanSpec(RequestBody):
    """A whole plan as written: the JSON/YAML spec, or what a ticket file compiles to."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=500)
    description: str = ""
    priority: Priority = Field(default=Priority.MEDIUM, strict=False)
    analysis_id: str | None = None
    requires_approval: bool = False
    can_modify: bool = True
    max_parallel: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="At most this many of the plan's steps leased or executing at once; "
        "unset: no bound.",
    )
    on_failure: OnFailure = Field(default=OnFailure.FAIL_FAST, strict=False)
    estimated_duration: float | None = Field(
        default=None, ge=0, le=MAX_ESTIMATE_MINUTES, description="Minutes."
    )
    modifications_require_approval: bool = Field(
        default=False,
        description="Each change is recorded REQUESTED with a PENDING MODIFY_PLAN decision "
        "and applied only when approved.",
    )
    manager_agent_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The agent that manages the plan (MANAGED_BY): changes it requests "
        "are attributed to it.",
    )
    steps: list[StepSpec] = Field(min_length=1)


class Progress(BaseModel):
    """Steps counted at the moment of asking: terminal / all, and counts by status."""

    total: int
    terminal: int
    percent: float
    by_status: dict[str, int]


class StepPublic(BaseModel):
    """A step as the API shows it; ``depends_on`` holds the keys of its dependencies."""

    id: str
    key: str
    step_number: int
    name: str
    kind: str
    status: StepStatus
    description: str = ""
    depends_on: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    changeset: dict[str, Any] | None = None
    error_message: str | None = None
    requires_capabilities: list[str] = Field(default_factory=list)
    assigned_to: str | None = Field(default=None, description="The agent that claimed it.")
    assignee: str | None = Field(default=None, description="The one agent that may claim it.")
    max_retries: int = 0
    retry_count: int = 0
    max_lease_losses: int = DEFAULT_MAX_LEASE_LOSSES
    lease_losses: int = Field(default=0, description="Leases that expired (lost workers).")
    timeout_seconds: float | None = None
    deadline_seconds: float | None = None
    wait_deadline: datetime | None = Field(
        default=None, description="When a waiting gate step's deadline passes."
    )
    is_critical: bool = True
    validate_command: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    child_plan_ids: list[str] = Field(
        default_factory=list, description="The child plans it spawned (SPAWNED)."
    )
    added_by_change: bool = Field(
        default=False, description="Added to the running plan by a change (CREATES_STEP)."
    )


class PlanSummary(BaseModel):
    """A plan without its steps, as listed by ``GET /v1/plans``."""

    id: str
    name: str
    description: str = ""
    status: PlanStatus
    priority: Priority
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    max_parallel: int | None = None
    on_failure: OnFailure = OnFailure.FAIL_FAST
    can_modify: bool = True
    requires_approval: bool = False
    modifications_require_approval: bool = False
    version: int = 1
    manager_agent_id: str | None = Field(
        default=None, description="The agent the plan is MANAGED_BY, if any."
    )
    supersedes: str | None = Field(
        default=None, description="The plan this version replaced (replan), if any."
    )
    superseded_by: str | None = Field(
        default=None, description="The newer version that replaced this plan, if any."
    )
    parent_step_id: str | None = Field(
        default=None, description="A child plan's spawning step (from SPAWNED)."
    )
    parent_plan_id: str | None = Field(default=None, description="That step's plan.")
    root_plan_id: str | None = Field(
        default=None, description="The root of its family (itself for a root plan)."
    )
    depth: int = Field(default=0, description="0 for a root plan, 1 for its children, ...")
    progress: Progress | None = None


class PlanPublic(PlanSummary):
    """A plan with its steps and progress, as ``GET /v1/plans/{id}`` returns it."""

    steps: list[StepPublic] = Field(
        default_factory=list,
        description="A page of its steps in step_number order (progress counts them all).",
    )
    next_steps_after: int | None = Field(
        default=None,
        description="Pass as steps_after for the next page of steps; null on the last page.",
    )


class PlanCreated(BaseModel):
    """The answer to a plan submission."""

    id: str
    name: str
    status: PlanStatus
    step_count: int
    step_ids: dict[str, str] = Field(description="Step key -> step id.")


class StepRef(BaseModel):
    """A neighbouring step: a dependency or a dependent."""

    id: str
    key: str
    name: str
    status: StepStatus


class ChildPlanRef(BaseModel):
    """A plan a step spawned, with its status."""

    id: str
    name: str
    status: PlanStatus
    created_at: datetime | None = None


class EventPublic(BaseModel):
    """An audit event: one transition, in the plan's sequence."""

    id: str
    seq: int
    type: str
    step_id: str | None = Field(default=None, description="The step it is about, if any.")
    from_status: str | None = None
    to_status: str | None = None
    message: str | None = None
    detail: Any = None
    actor: str | None = None
    timestamp: datetime


class StreamedEvent(EventPublic):
    """The data of one message of ``GET /v1/plans/{id}/events/stream``: an event, with the
    plan it belongs to (a family stream carries its child plans' events too)."""

    plan_id: str


class StreamEnd(BaseModel):
    """The data of the stream's last message (``event: end``): the plan (and for a
    family stream every plan of it) has ended and every event was sent."""

    plan_id: str
    status: str = Field(description="The plan's final status.")


class TreeStep(TypedDict):
    """A step in a status tree, with the child plans it spawned (``children``);
    ``truncated`` when it has children that the depth limit left out.

    Tree nodes are TypedDicts, not models: a depth-3 tree has tens of thousands of
    nodes, and a model instance per node cost more than the query (bench W3)."""

    id: str
    key: str
    name: str
    kind: str
    status: StepStatus
    error_message: str | None
    child_count: int
    truncated: bool
    children: list[TreePlan]


class TreePlan(TypedDict):
    """A plan in a status tree: ``level`` 0 is the plan asked for, 1 its children, ...;
    ``parent_step_id`` is None at level 0."""

    id: str
    name: str
    status: PlanStatus
    level: int
    parent_step_id: str | None
    progress: Progress
    steps: list[TreeStep]


class StatusTree(BaseModel):
    """``GET /v1/plans/{id}/tree``: the family down to ``depth`` levels, with counts."""

    depth: int = Field(description="The depth limit applied: levels of child plans shown.")
    plan_count: int = Field(description="Plans in the tree as returned.")
    step_count: int = Field(description="Steps in the tree as returned.")
    truncated: bool = Field(description="Whether the depth limit left child plans out.")
    root: TreePlan


class ModificationPublic(BaseModel):
    """A change made to a plan while it ran (``PlanModification``)."""

    id: str
    modification_type: str
    status: str
    reason: str | None = None
    old_value: Any = None
    new_value: Any = None
    timestamp: datetime
    plan_version: int | None = None
    step_id: str | None = None
    step_key: str | None = None
    requested_by: dict[str, Any] | None = Field(description="{id, name, kind: User|Agent}")
    approved_by: list[dict[str, Any]] = Field(default_factory=list)
    decision_id: str | None = Field(
        default=None, description="A change that needs approval: its MODIFY_PLAN decision."
    )
    rejection_reason: str | None = None


class StepDetail(BaseModel):
    """``GET /v1/steps/{id}``: the step and its neighbourhood."""

    step: StepPublic
    plan_id: str
    dependencies: list[StepRef]
    dependents: list[StepRef]
    child_plans: list[ChildPlanRef]
    events: list[EventPublic]


class Created(BaseModel):
    """The answer to a request that created (or named) one node: its id."""

    id: str


class DecisionType(StrEnum):
    CLARIFY = "CLARIFY"
    EXECUTE = "EXECUTE"
    MODIFY_PLAN = "MODIFY_PLAN"
    ESCALATE = "ESCALATE"
    APPROVAL = "APPROVAL"


class DecisionSpec(RequestBody):
    """A decision the AI (or a person) records; links name existing nodes by id."""

    type: DecisionType = Field(strict=False)
    action: str = Field(min_length=1, max_length=2000)
    parameters: dict[str, Any] = Field(default_factory=dict)
    reasoning: str | None = None
    clarification_question: str | None = None
    confidence: int | None = Field(default=None, ge=0, le=100)
    requires_approval: bool = False
    analysis_id: str | None = Field(default=None, description="INFORMS_DECISION from it.")
    plan_id: str | None = Field(default=None, description="AFFECTS_PLAN.")
    step_id: str | None = Field(default=None, description="AFFECTS_STEP.")
    message_id: str | None = Field(default=None, description="DECIDES_ON.")
    escalate_to: str | None = Field(default=None, description="ESCALATES_TO this user id.")


class DecisionPublic(BaseModel):
    """A decision with what it affects and who decided it."""

    id: str
    type: DecisionType
    action: str | None = None
    status: str
    parameters: dict[str, Any] | None = None
    reasoning: str | None = None
    clarification_question: str | None = None
    confidence: int | None = None
    requires_approval: bool = False
    timestamp: datetime
    decided_at: datetime | None = None
    comment: str | None = None
    plan_id: str | None = None
    step_id: str | None = None
    decided_by: str | None = None

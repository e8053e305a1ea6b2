"""Live changes to running plans (coordinator role; DESIGN.md section 4): add a step, add
or remove a dependency, cancel, skip, retry or remove a step, edit a step that has not
started.
Each writes a ``PlanModification`` with its actor and reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.auth import Principal
from graphsvc.api.deps import Coordinator, DbDep
from graphsvc.domain.models import RequestBody, StepKindName
from graphsvc.engine.approvals import Requested, submit
from graphsvc.engine.changes import Actor


class ChangeBody(RequestBody):
    """Why, and on whose behalf: ``user_id`` (a ``User``, created on first use with
    ``user_name``) or ``agent_id``; neither: the principal of the API key."""

    reason: str | None = Field(default=None, max_length=4000)
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_name: str | None = Field(default=None, max_length=200)
    agent_id: str | None = Field(default=None, min_length=1, max_length=200)


def _actor(
    who: Principal, user_id: str | None, agent_id: str | None, user_name: str | None = None
) -> Actor:
    if user_id and agent_id:
        raise ValidationFailed([Problem("agent_id", "name a user_id or an agent_id, not both")])
    if agent_id:
        return Actor(agent_id, is_agent=True)
    if user_id:
        return Actor(user_id, name=user_name)
    return Actor(who.name)


class RequestedChange(BaseModel):
    """202: the plan's changes need approval; the change is recorded, not applied."""

    modification_id: str
    decision_id: str = Field(description="The PENDING MODIFY_PLAN decision to approve.")
    plan_id: str
    status: str = "REQUESTED"


# Every change route answers 202 with this when its plan requires approval for changes.
NEEDS_APPROVAL: dict[int | str, dict[str, Any]] = {
    202: {"model": RequestedChange, "description": "Recorded for approval, not applied."}
}


router = APIRouter(
    route_class=ParsedJsonRoute, prefix="/v1", tags=["live changes"], responses=NEEDS_APPROVAL
)


def answer_or_requested(result: Any, model: type[BaseModel]) -> Any:
    """The change's answer as ``model``, or a 202 ``RequestedChange`` when it awaits
    approval (``engine.approvals.submit``)."""
    if isinstance(result, Requested):
        body = RequestedChange(
            modification_id=result.modification_id,
            decision_id=result.decision_id,
            plan_id=result.plan_id,
        )
        return JSONResponse(status_code=202, content=body.model_dump())
    return model.model_validate(result)


def actor_of(body: ChangeBody, who: Principal) -> Actor:
    """Who asks for a change: the body's ``user_id`` or ``agent_id``, else the key's principal."""
    return _actor(who, body.user_id, body.agent_id, body.user_name)


class AddStepBody(ChangeBody):
    step: dict[str, Any] = Field(
        description="A step spec (as in a plan spec); depends_on names steps by id or key.",
        examples=[{"key": "CHECK", "kind": "task", "description": "Check it", "depends_on": []}],
    )


class AddedStep(BaseModel):
    step_id: str
    key: str
    status: str
    modification_id: str


class AddStepsBody(ChangeBody):
    steps: list[dict[str, Any]] = Field(
        description=(
            "1 to 1,000 step specs; depends_on names steps of the plan (id or key) "
            "or other steps of this batch (key)."
        ),
        examples=[[{"key": "A", "kind": "task"}, {"key": "B", "depends_on": ["A"]}]],
    )


class AddedSteps(BaseModel):
    steps: list[AddedStep]


class DependencyBody(ChangeBody):
    depends_on: str = Field(min_length=1, description="A step of the same plan, by id or key.")


class RetryBody(ChangeBody):
    reset_downstream: bool = Field(
        default=False, description="Re-arm the finished steps downstream of it too."
    )


class StepPatch(ChangeBody):
    name: str | None = None
    description: str | None = None
    inputs: dict[str, Any] | None = None
    kind: StepKindName | None = None
    max_retries: int | None = None
    timeout_seconds: float | None = None
    requires_capabilities: list[str] | None = None
    assignee: str | None = Field(default=None, description="The only agent that may claim it.")


class Changed(BaseModel):
    step_id: str
    status: str
    modification_id: str | None = Field(description="None when nothing had to change.")
    reset: list[str] | None = None


@router.post("/plans/{plan_id}/steps", response_model=AddedStep, status_code=201)
def add_step(plan_id: str, body: AddStepBody, db: DbDep, who: Coordinator) -> Any:
    """Add a step to a plan that has not finished. READY at once (claimable as soon as
    this answers) when its dependencies are satisfied and the plan runs; counted
    in progress at once. 422: invalid step, duplicate key, unknown or
    cross-plan dependency. 409: plan finished or ``can_modify`` false."""
    result = submit(
        db, "add_step", actor_of(body, who), body.reason, plan_id=plan_id, step=body.step
    )
    return answer_or_requested(result, AddedStep)


@router.post("/plans/{plan_id}/steps/batch", response_model=AddedSteps, status_code=201)
def add_steps(plan_id: str, body: AddStepsBody, db: DbDep, who: Coordinator) -> Any:
    """Add 1 to 1,000 steps in one transaction, all or nothing, each as ``POST
    /v1/plans/{id}/steps`` adds one and recorded as its own ``ADD_STEP``
    modification. Steps of the batch may depend on each other by key. 422 lists
    every problem (``steps[i]...``: invalid step, key given twice or already in
    the plan, unknown or cross-plan dependency, a cycle in the batch); 409: plan
    finished or ``can_modify`` false."""
    added = submit(
        db, "add_steps", actor_of(body, who), body.reason, plan_id=plan_id, steps=body.steps
    )
    return answer_or_requested(
        added if isinstance(added, Requested) else {"steps": added}, AddedSteps
    )


@router.post("/steps/{step_id}/dependencies", response_model=Changed)
def add_dependency(step_id: str, body: DependencyBody, db: DbDep, who: Coordinator) -> Any:
    """Make the step depend on another step of its plan; only before it starts. A READY
    step whose new dependency is unsatisfied goes back to PENDING. 422 for a cycle
    (named), a self or cross-plan dependency; 409 for a started step."""
    result = submit(
        db,
        "add_dependency",
        actor_of(body, who),
        body.reason,
        step_id=step_id,
        depends_on=body.depends_on,
    )
    return answer_or_requested(result, Changed)


@router.delete("/steps/{step_id}/dependencies/{depends_on}", response_model=Changed)
def remove_dependency(
    step_id: str,
    depends_on: str,
    db: DbDep,
    who: Coordinator,
    reason: Annotated[str | None, Query(max_length=4000)] = None,
    user_id: str | None = None,
    agent_id: str | None = None,
) -> Any:
    """Remove the dependency (by id or key): the step becomes READY if nothing else
    blocks it. Idempotent: an edge that does not exist answers 200 and records
    nothing. 409 for a started step."""
    actor = _actor(who, user_id, agent_id)
    result = submit(db, "remove_dependency", actor, reason, step_id=step_id, depends_on=depends_on)
    return answer_or_requested(result, Changed)


@router.post("/steps/{step_id}/cancel", response_model=Changed)
def cancel_step(step_id: str, db: DbDep, who: Coordinator, body: ChangeBody | None = None) -> Any:
    """Cancel an unfinished step; a running one loses its lease (its worker's next
    heartbeat or complete is 409), a waiting one's child plans are cancelled. Its
    dependents proceed. 409 for a finished step."""
    body = body or ChangeBody()
    return answer_or_requested(
        submit(db, "cancel_step", actor_of(body, who), body.reason, step_id=step_id), Changed
    )


@router.delete("/steps/{step_id}", response_model=Changed)
def remove_step(
    step_id: str,
    db: DbDep,
    who: Coordinator,
    reason: Annotated[str | None, Query(max_length=4000)] = None,
    user_id: str | None = None,
    agent_id: str | None = None,
) -> Any:
    """Remove a step that has not started (PENDING or READY): REMOVE_STEP. It stops
    counting in progress and stops gating its dependents (which run if nothing else
    blocks them); the node stays for the audit (CANCELLED, linked from its
    modification by ``REMOVES_STEP``, no longer in the plan's steps). 409 for a step
    that has started, or a plan that has ended or forbids changes."""
    actor = _actor(who, user_id, agent_id)
    return answer_or_requested(submit(db, "remove_step", actor, reason, step_id=step_id), Changed)


@router.post("/steps/{step_id}/skip", response_model=Changed)
def skip_step(step_id: str, db: DbDep, who: Coordinator, body: ChangeBody | None = None) -> Any:
    """Skip an unfinished step: as cancel, recorded as SKIPPED. 409 for a finished step."""
    body = body or ChangeBody()
    return answer_or_requested(
        submit(db, "skip_step", actor_of(body, who), body.reason, step_id=step_id), Changed
    )


@router.post("/steps/{step_id}/retry", response_model=Changed)
def retry_step(step_id: str, db: DbDep, who: Coordinator, body: RetryBody | None = None) -> Any:
    """Re-arm a FAILED step (PENDING, or READY when nothing blocks it). A FAILED plan
    returns to EXECUTING with the steps its FAIL_FAST cancelled; with
    ``reset_downstream`` finished steps downstream run again too. 409 for a step
    that is not FAILED or a plan that COMPLETED or was CANCELLED."""
    body = body or RetryBody()
    result = submit(
        db,
        "retry_step",
        actor_of(body, who),
        body.reason,
        step_id=step_id,
        reset_downstream=body.reset_downstream,
    )
    return answer_or_requested(result, Changed)


@router.patch("/steps/{step_id}", response_model=Changed)
def update_step(step_id: str, body: StepPatch, db: DbDep, who: Coordinator) -> Any:
    """Edit a step that has not started (name, description, inputs, kind, max_retries,
    timeout_seconds, requires_capabilities, assignee); the result is validated as
    a step spec. 409 for a started step; 422 for an invalid result."""
    patch = body.model_dump(exclude_unset=True, exclude=set(ChangeBody.model_fields), mode="json")
    result = submit(
        db, "update_step", actor_of(body, who), body.reason, step_id=step_id, patch=patch
    )
    return answer_or_requested(result, Changed)

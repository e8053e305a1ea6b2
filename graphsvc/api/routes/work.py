"""Worker routes: claim steps with a lease, start, heartbeat, complete, fail."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api._signal import CLAIM_POLL_SECONDS, WorkSignal
from graphsvc.api.auth import Principal
from graphsvc.api.deps import DbDep, Worker, act_as
from graphsvc.domain.children import parse_children
from graphsvc.domain.models import RequestBody, StepKind, StepKindName
from graphsvc.domain.rules import Completion
from graphsvc.engine import children, work

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1/steps", tags=["workers"])


class ClaimRequest(RequestBody):
    agent_id: str = Field(
        min_length=1, max_length=200, description="A worker key may claim only as its own agent."
    )
    capabilities: list[str] = Field(default_factory=list, max_length=100)
    kinds: list[StepKindName] = Field(
        default_factory=lambda: [str(k) for k in StepKind],
        max_length=100,
        description="Built-in kinds (the default: all of them) or custom ones.",
    )
    max_steps: int = Field(default=1, ge=1, le=1000)
    lease_seconds: float = Field(default=60.0, ge=1, le=86400, description="Seconds.")
    wait_seconds: float = Field(default=0.0, ge=0, le=60, description="Long-poll up to this long.")
    plan_ids: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Claim only steps of these plans and of the child plans running under "
        "them (empty: any plan).",
    )
    chain: bool = Field(
        default=False,
        description="Also lease each claimed step's chain (within max_steps): the steps "
        "that can only run after it, each the only dependent of the one before and "
        "depending on it alone. They come right after it, ASSIGNED with chained_after; "
        "run them in order and complete them together (DESIGN.md section 2).",
    )

    def to_spec(self, who: Principal) -> work.ClaimSpec:
        """The claim as the store takes it; ``PermissionDenied`` when ``who`` (a worker
        key) claims for another agent."""
        act_as(who, self.agent_id)
        kinds = list(self.kinds)
        return work.ClaimSpec(
            self.agent_id,
            kinds,
            self.capabilities,
            self.max_steps,
            self.lease_seconds,
            tuple(self.plan_ids),
            self.chain,
        )


class ClaimedStep(BaseModel):
    id: str
    key: str
    kind: str
    name: str
    description: str
    inputs: dict[str, Any]
    prior_work: list[dict[str, Any]]
    plan_id: str
    lease_token: str
    lease_expires_at: datetime
    attempt: int
    timeout_seconds: float | None = None
    validate_command: str | None = None
    context: dict[str, Any] | None = Field(
        default=None, description="The plan's active ExecutionContext, if any."
    )
    chained_after: str | None = Field(
        default=None,
        description="Leased with a chain: the id of the step it runs after. It may be "
        "completed only after that step (or in the same batch, after it), and its "
        "prior_work lacks that step's outputs, which the claimer has.",
    )


class ClaimResponse(BaseModel):
    steps: list[ClaimedStep]


class LeaseBody(RequestBody):
    lease_token: str


class HeartbeatBody(LeaseBody):
    lease_seconds: float = Field(default=60.0, ge=1, le=86400, description="Seconds from now.")


class CompleteBody(LeaseBody):
    outputs: dict[str, Any] = Field(default_factory=dict)
    changeset: dict[str, Any] = Field(default_factory=dict)


class CompletionItem(CompleteBody):
    step_id: str
    started_at: datetime | None = Field(
        default=None, strict=False, description="When the worker started it (ISO 8601 with a zone)."
    )
    completed_at: datetime | None = Field(
        default=None,
        strict=False,
        description="When the worker finished it: the step's completed_at and its "
        "event's detail keep it (not later than the server's clock).",
    )

    @field_validator("started_at", "completed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-01-01T12:00:00Z)")
        return value


class BatchCompleteBody(RequestBody):
    results: list[CompletionItem] = Field(min_length=1, max_length=1000)
    claim: ClaimRequest | None = Field(
        default=None,
        description="Claim the next steps in the same transaction (wait_seconds is ignored).",
    )


class CompletionOutcome(BaseModel):
    step_id: str
    status: str | None = Field(description="The step's status after this call.")
    error: dict[str, Any] | None = Field(
        default=None, description="{code: 403|404|409, message}: this item changed nothing."
    )


class BatchCompleteResponse(BaseModel):
    results: list[CompletionOutcome]
    steps: list[ClaimedStep] = Field(description="Steps claimed for the caller, if it asked.")


class FailBody(LeaseBody):
    error_message: str = Field(min_length=1)
    retryable: bool = True


class SubplansBody(LeaseBody):
    plans: list[dict[str, Any]] = Field(default_factory=list, description="JSON plan specs.")
    tickets: list[str] = Field(default_factory=list, description="Ticket file texts.")
    max_parallel: int = Field(default=1, ge=1, le=1000, description="Children run at once.")
    summary: str | None = Field(
        default=None, description="Kept (200 characters) in the step's outputs."
    )


class Spawned(BaseModel):
    step_id: str
    status: str
    child_plan_ids: list[str]


class StepState(BaseModel):
    step_id: str
    status: str = Field(description="The step's status after this call.")
    lease_expires_at: datetime | None = Field(
        default=None, description="When its lease expires (start, heartbeat)."
    )


@router.post("/claim", response_model=ClaimResponse)
async def claim_steps(
    body: ClaimRequest, request: Request, db: DbDep, who: Worker
) -> ClaimResponse:
    """Claim up to ``max_steps`` ready steps; each goes to exactly one claimer.

    Filters by ``kinds``, by ``capabilities`` (a step is claimed only by an
    agent with every capability it requires) and by ``plan_ids`` (those plans and
    their running child plans). A worker key claims only as its own agent (403
    otherwise), so it also takes only the steps reserved for that agent. The
    lease tokens in the answer are shown nowhere else. With ``wait_seconds`` the call
    waits up to that long for a step (long poll): it tries again as soon as
    another write in this API process succeeds, and every half second for
    writes elsewhere. Returns ``{"steps": []}`` when none is ready.

    Claims of one agent with the same kinds and capabilities share their polls
    (``api/_signal.py``): one that found nothing less than half a second ago,
    with no write in this process since, answers the others without a query.
    So a step made READY elsewhere (another API process, a backoff running out,
    the sweeper) may wait up to half a second for them, as for a long poll. A long
    poll whose caller has hung up stops before its next try, so a stopped worker's
    last poll leases nothing.
    """
    signal: WorkSignal = request.app.state.work_signal
    spec = body.to_spec(who)
    deadline = time.monotonic() + body.wait_seconds
    key = (
        spec.agent_id,
        tuple(sorted(spec.kinds)),
        tuple(sorted(spec.capabilities)),
        tuple(sorted(spec.plan_ids)),
    )
    async with signal.shared_poll(key) as shared:
        while True:
            if await request.is_disconnected():
                # The worker is gone (stopped, or crashed mid-poll): steps claimed for it
                # now would wait out their lease with nobody to run them.
                return ClaimResponse(steps=[])
            steps = await shared.poll(lambda: run_in_threadpool(work.claim_with, db, spec))
            if steps or time.monotonic() >= deadline:
                return ClaimResponse.model_validate({"steps": steps})
            await signal.wait(min(CLAIM_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


@router.post("/complete", response_model=BatchCompleteResponse)
def complete_steps(
    body: BatchCompleteBody, request: Request, db: DbDep, who: Worker
) -> BatchCompleteResponse:
    """Complete up to 1,000 steps in one transaction and, with ``claim``, claim the
    caller's next steps in the same one (they may be the steps these completions
    made READY): a worker of short steps needs one request per batch instead of
    three per step.

    Each result is judged as ``POST /v1/steps/{id}/complete`` judges it (lease
    token, status, idempotent repeat, a worker key's own leases only); a refused
    one is reported in its ``error`` (403, 404 or 409) and changes nothing while
    the others apply, so the answer is 200. A step id given twice is a 422 and
    changes nothing. Results apply in order: a chained step (``chained_after``) may
    follow the step it runs after in the same batch, so a chain costs one request;
    one whose step before is neither COMPLETED nor earlier in the batch is a 409.
    Each item may carry the worker's ``started_at`` and ``completed_at``: events
    keep the batch's order and these times.
    """
    items = [
        Completion(r.step_id, r.lease_token, r.outputs, r.changeset, r.started_at, r.completed_at)
        for r in body.results
    ]
    spec = body.claim.to_spec(who) if body.claim is not None else None
    done = work.complete_many(db, items, actor=who.name, then_claim=spec, agent=who.agent)
    # Every step these made READY went to this caller: waiting claims need not wake.
    request.state.wake_claims = done.left_ready
    results = [
        CompletionOutcome(
            step_id=o["step_id"],
            status=o["status"],
            error=(
                {"code": o["error"].http_status, "message": o["error"].message}
                if "error" in o
                else None
            ),
        )
        for o in done.outcomes
    ]
    return BatchCompleteResponse.model_validate({"results": results, "steps": done.claimed})


@router.post("/{step_id}/start", response_model=StepState)
def start_step(step_id: str, body: LeaseBody, db: DbDep, who: Worker) -> StepState:
    """ASSIGNED -> EXECUTING. 409 for a stale lease token or another status, 403 for a
    worker key whose agent does not hold the lease."""
    state = work.start(db, step_id, body.lease_token, actor=who.name, agent=who.agent)
    return StepState(step_id=step_id, **state._asdict())


@router.post("/{step_id}/heartbeat", response_model=StepState)
def heartbeat_step(step_id: str, body: HeartbeatBody, db: DbDep, who: Worker) -> StepState:
    """Extend the lease by ``lease_seconds`` from now; the agent counts as seen. 409 when
    the lease is lost or revoked (the step was cancelled, or its lease expired), 403
    for a worker key whose agent does not hold it."""
    state = work.heartbeat(db, step_id, body.lease_token, body.lease_seconds, agent=who.agent)
    return StepState(step_id=step_id, **state._asdict())


@router.post("/{step_id}/release", response_model=StepState)
def release_step(step_id: str, body: LeaseBody, db: DbDep, who: Worker) -> StepState:
    """Give a claimed step back: READY again at once for any claimer, not counted as a
    lease loss nor as a failed attempt (steps chained behind it return to PENDING). For
    a claimer that will not do the work; an MCP session releases what it holds when it
    ends. 409 for a stale lease token or a step that is not leased, 403 for another
    agent's lease."""
    work.release(db, step_id, body.lease_token, who.name, who.agent)
    return StepState(step_id=step_id, status="READY")


@router.post("/{step_id}/complete", response_model=StepState)
def complete_step(step_id: str, body: CompleteBody, db: DbDep, who: Worker) -> StepState:
    """Complete with outputs and changeset. Repeating it with the same token and body
    answers as the first call did; a stale token is 409, another agent's lease 403."""
    result = work.complete(
        db, step_id, body.lease_token, body.outputs, body.changeset, who.name, who.agent
    )
    return StepState(step_id=step_id, status=result["status"])


@router.post("/{step_id}/fail", response_model=StepState)
def fail_step(step_id: str, body: FailBody, db: DbDep, who: Worker) -> StepState:
    """Report a failed attempt: READY again after backoff while retries are left
    (and ``retryable``), else FAILED; CANCELLED when its plan has ended. 409 for a
    stale lease token, 403 for another agent's lease."""
    status = work.fail(
        db,
        step_id,
        body.lease_token,
        body.error_message,
        body.retryable,
        actor=who.name,
        agent=who.agent,
    )
    return StepState(step_id=step_id, status=status)


@router.post("/{step_id}/subplans", response_model=Spawned, status_code=201)
def spawn_child_plans(step_id: str, body: SubplansBody, db: DbDep, who: Worker) -> Spawned:
    """Spawn child plans from a running step (with its lease token): the step goes
    WAITING (its lease no longer expires) and completes when they all have, with
    their changesets merged; children run in the order given, ``max_parallel``
    at a time. 422 lists every problem of every child and spawns nothing; 409
    for a stale lease or a step that is not running."""
    specs = parse_children(body.plans, body.tickets)
    ids = children.spawn(
        db,
        step_id,
        body.lease_token,
        specs,
        body.max_parallel,
        body.summary,
        actor=who.name,
        agent=who.agent,
    )
    return Spawned(step_id=step_id, status="WAITING", child_plan_ids=ids)

"""Plan routes: submit (JSON spec or ticket text), list, read, what is ready."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from graphsvc._errors import ConflictError, Problem, ValidationFailed
from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import Coordinator, DbDep, Reader, SettingsDep
from graphsvc.api.routes.changes import (
    NEEDS_APPROVAL,
    ChangeBody,
    RequestedChange,
    actor_of,
    answer_or_requested,
)
from graphsvc.domain import PlanStatus, compile_tickets, parse_spec
from graphsvc.domain.graph_text import FORMATS
from graphsvc.domain.models import (
    MAX_SEQ,
    EventPublic,
    ModificationPublic,
    PlanCreated,
    PlanPublic,
    PlanSpec,
    PlanSummary,
    RequestBody,
    StatusTree,
)
from graphsvc.engine import lifecycle
from graphsvc.engine import plans as plan_engine
from graphsvc.engine.approvals import Requested, submit
from graphsvc.store import audit, modifications, tree
from graphsvc.store import plans as plan_store

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1/plans", tags=["plans"])

_SPEC_EXAMPLE = {
    "name": "Deploy",
    "steps": [
        {"key": "BUILD", "kind": "command", "description": "make dist"},
        {"key": "SHIP", "kind": "task", "description": "Ship it", "depends_on": ["BUILD"]},
    ],
}


def _submit(db: DbDep, spec: PlanSpec, who: str, start: bool) -> PlanCreated:
    """Create the plan and, with ``start``, start it, in one transaction. A plan that
    requires approval cannot start at once: 409 before anything is written."""
    if start and spec.requires_approval:
        raise ConflictError(
            "this plan requires approval, so it cannot start on creation: submit it without "
            "?start=true, then approve its EXECUTE decision (graphsvc decide approve --start)",
            {"requires_approval": True},
        )
    return plan_engine.create_plan(db, spec, actor=who, start=start)


@router.post("", status_code=201, response_model=PlanCreated)
def create_plan(
    db: DbDep,
    who: Coordinator,
    spec: Annotated[dict[str, Any], Body(examples=[_SPEC_EXAMPLE])],
    start: bool = False,
) -> PlanCreated:
    """Submit a plan as a JSON spec (DESIGN.md section 3); ``?start=true`` starts it.

    422 lists every problem (field errors with JSON paths, unknown or
    duplicate keys, self-dependencies, cycles) and writes nothing.
    """
    return _submit(db, parse_spec(spec), who.name, start)


@router.post(
    "/tickets",
    status_code=201,
    response_model=PlanCreated,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
        }
    },
)
async def create_plan_from_tickets(
    request: Request,
    db: DbDep,
    who: Coordinator,
    start: bool = False,
    name: Annotated[
        str, Query(description="Plan name when the file has no preamble.")
    ] = "Untitled plan",
) -> PlanCreated:
    """Submit a ticket file (``text/plain`` or ``text/markdown`` body); ``?start=true`` starts it.

    422 lists every problem with its ticket and line, and writes nothing.
    """
    text = (await request.body()).decode("utf-8", errors="replace")
    return _submit(db, compile_tickets(text, default_name=name), who.name, start)


class ReplanBody(ChangeBody):
    """The new version: a JSON plan spec or a ticket file's text (one of them)."""

    spec: dict[str, Any] | None = Field(default=None, examples=[_SPEC_EXAMPLE])
    tickets: str | None = Field(default=None, max_length=5_000_000)


class Replanned(PlanCreated):
    """The new version, the plan it supersedes and the steps carried over (by key)."""

    supersedes: str
    carried_over: list[str]


@router.post(
    "/{plan_id}/replan", status_code=201, response_model=Replanned, responses=NEEDS_APPROVAL
)
def replan_plan(plan_id: str, body: ReplanBody, db: DbDep, who: Coordinator) -> Any:
    """Replace a live plan by its next version (``spec`` or ``tickets``, and a ``reason``).

    The new plan ``SUPERSEDES`` the old one, which becomes SUPERSEDED (its unfinished
    steps CANCELLED, leases revoked, child plans of its waiting steps cancelled). Steps
    whose key and definition (kind, description, inputs, dependencies' keys) repeat a
    COMPLETED step of the old plan, and whose dependencies are all carried over too, are
    created COMPLETED with its outputs, not run again. A running plan's new version
    starts at once; a child plan's takes its place under the same step. A ``REPLAN``
    modification is recorded on both. On a plan whose changes need approval it is
    recorded for approval instead (202). 422 for a bad spec (nothing written), 409 for
    a plan that has ended or forbids changes."""
    if (body.spec is None) == (body.tickets is None):
        raise ValidationFailed([Problem("spec", "give either spec or tickets")])
    spec = parse_spec(body.spec) if body.spec is not None else compile_tickets(body.tickets or "")
    as_json = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    done = submit(db, "replan", actor_of(body, who), body.reason, plan_id=plan_id, spec=as_json)
    if isinstance(done, Requested):  # the plan's changes need approval: 202
        return answer_or_requested(done, RequestedChange)
    return Replanned(
        **done.created.model_dump(), supersedes=done.supersedes, carried_over=done.carried_over
    )


@router.get("", response_model=list[PlanSummary])
def list_plans(
    db: DbDep,
    _: Reader,
    root_only: bool = True,
    status: PlanStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PlanSummary]:
    """Plans newest first with progress; root plans only unless ``root_only=false``."""
    return plan_store.list_plans(db, root_only=root_only, status=status, limit=limit)


@router.get("/{plan_id}", response_model=PlanPublic)
def get_plan(
    plan_id: str,
    request: Request,
    response: Response,
    db: DbDep,
    _: Reader,
    steps_after: Annotated[
        int,
        Query(ge=0, le=MAX_SEQ, description="Steps numbered after this (0: from the first)."),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Steps in this page.")] = 100,
) -> PlanPublic:
    """The plan, a page of its steps in order (status, dependencies by key) and the
    progress of all of them. A page holds the steps numbered after ``steps_after``, at
    most ``limit`` (default 100, at most 1,000); ``next_steps_after`` (and a ``Link: <...>;
    rel="next"`` header, RFC 8288) gives the next page, null on the last. A page costs
    its own steps, not the plan's. 404 if unknown."""
    plan = plan_store.get_plan(db, plan_id, steps_after, limit)
    if plan.next_steps_after is not None:
        _link_next(request, response, steps_after=plan.next_steps_after, limit=limit)
    return plan


def _link_next(request: Request, response: Response, **params: Any) -> None:
    """The ``Link`` header (RFC 8288) to the next page: this request with ``params``."""
    url = request.url.include_query_params(**params)
    response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


@router.get("/{plan_id}/tree", response_model=StatusTree)
def get_status_tree(
    plan_id: str,
    db: DbDep,
    settings: SettingsDep,
    _: Reader,
    depth: Annotated[int, Query(ge=0, le=100, description="Levels of child plans to include.")] = 3,
) -> StatusTree:
    """The plan's status tree: plan -> steps -> child plans -> ... down to ``depth`` levels
    (default 3; at most ``GRAPHSVC_TREE_MAX_DEPTH``, else 422), each plan with status,
    progress and counts by status; steps whose children the limit cut are marked
    ``truncated``. 404 if unknown."""
    if depth > settings.tree_max_depth:
        raise ValidationFailed(
            [Problem("depth", f"at most {settings.tree_max_depth} (GRAPHSVC_TREE_MAX_DEPTH)")]
        )
    return tree.status_tree(db, plan_id, depth)


class GraphFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"


@router.get(
    "/{plan_id}/graph",
    # The text is the 200's alone: errors keep the JSON error body (a response_class
    # would document them as text too).
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The graph as text.",
        }
    },
)
def get_graph(
    plan_id: str, db: DbDep, _: Reader, format: GraphFormat = GraphFormat.MERMAID
) -> PlainTextResponse:
    """The plan's graph as text: a Mermaid flowchart (default) or Graphviz DOT, steps
    labelled with key, name and status and coloured by status, an arrow from each
    dependency to the step that waits for it. 404 if unknown."""
    plan = plan_store.get_plan(db, plan_id)
    return PlainTextResponse(FORMATS[format.value](plan))


@router.get("/{plan_id}/ready")
def get_ready_steps(plan_id: str, db: DbDep, _: Reader) -> list[dict[str, Any]]:
    """Steps whose dependencies are all satisfied and that have not started
    (``cypher/get_ready_steps.cypher``): a running plan's READY steps, read at the cost of
    the frontier; for a plan not running, computed from its steps. 404 if unknown."""
    return plan_store.ready_steps(db, plan_id)


class Reason(RequestBody):
    """Why a coordinator changes a plan; recorded on its event."""

    reason: str | None = None


class PlanStatusOut(BaseModel):
    id: str
    status: PlanStatus


def _transition(plan_id: str, name: str, db: DbDep, who: str, body: Reason | None) -> PlanStatusOut:
    status = lifecycle.transition_plan(
        db, plan_id, name, actor=who, reason=body.reason if body else None
    )
    return PlanStatusOut(id=plan_id, status=status)


@router.post("/{plan_id}/start", response_model=PlanStatusOut)
def start_plan(
    plan_id: str, db: DbDep, who: Coordinator, body: Reason | None = None
) -> PlanStatusOut:
    """DRAFT|APPROVED -> EXECUTING; steps without unsatisfied dependencies become READY.
    409 from any other status, or while the plan awaits approval."""
    return _transition(plan_id, "start", db, who.name, body)


@router.post("/{plan_id}/pause", response_model=PlanStatusOut)
def pause_plan(
    plan_id: str, db: DbDep, who: Coordinator, body: Reason | None = None
) -> PlanStatusOut:
    """EXECUTING -> PAUSED: no new claims; running steps may still report. 409 otherwise."""
    return _transition(plan_id, "pause", db, who.name, body)


@router.post("/{plan_id}/resume", response_model=PlanStatusOut)
def resume_plan(
    plan_id: str, db: DbDep, who: Coordinator, body: Reason | None = None
) -> PlanStatusOut:
    """PAUSED -> EXECUTING. 409 otherwise."""
    return _transition(plan_id, "resume", db, who.name, body)


@router.post("/{plan_id}/cancel", response_model=PlanStatusOut)
def cancel_plan(
    plan_id: str, db: DbDep, who: Coordinator, body: Reason | None = None
) -> PlanStatusOut:
    """Any live status -> CANCELLED; unfinished steps are CANCELLED and their leases
    revoked (a late complete gets 409), and so are all its descendant plans,
    recursively. Cancelling a child plan fails the step that spawned it.
    409 on a finished plan."""
    return _transition(plan_id, "cancel", db, who.name, body)


@router.get("/{plan_id}/modifications", response_model=list[ModificationPublic])
def list_modifications(
    plan_id: str,
    db: DbDep,
    _: Reader,
    status: Annotated[
        str | None, Query(description="REQUESTED, APPLIED or REJECTED; all by default.")
    ] = None,
) -> list[ModificationPublic]:
    """Every change made to the plan while it ran, newest first: type, old and new
    values, reason, the step, who requested and who approved it; a change awaiting
    approval (REQUESTED) names its decision. 404 if unknown."""
    return modifications.list_modifications(db, plan_id, status)


@router.get("/{plan_id}/audit")
def get_audit_trail(
    plan_id: str,
    request: Request,
    response: Response,
    db: DbDep,
    _: Reader,
    after: Annotated[
        str | None, Query(max_length=2000, description="The cursor of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Rows in this page.")] = 1000,
) -> list[dict[str, Any]]:
    """The plan's audit trail in time order (``cypher/get_audit_chain.cypher``): the user
    -> message -> analysis that created it, decisions and approvals, modifications,
    every transition with its actor, communications. Each ``{time, kind, actor,
    summary, subject_id}``; at most ``limit`` rows (default 1,000) after the cursor
    ``after``. When there are more, a ``Link: <...?after=CURSOR&limit=N>;
    rel="next"`` header (RFC 8288) gives the next page. 404 if unknown, 422 for a
    cursor this API did not give."""
    page = audit.audit_chain(db, plan_id, after, limit)
    if page.next_after is not None:
        _link_next(request, response, after=page.next_after, limit=limit)
    return page.rows


@router.get("/{plan_id}/events", response_model=list[EventPublic])
def list_events(
    plan_id: str,
    db: DbDep,
    _: Reader,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="A seq; events after it.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[EventPublic]:
    """The plan's events with ``seq > after``, in sequence order (page with the last seq)."""
    return lifecycle.list_events(db, plan_id, after=after, limit=limit)

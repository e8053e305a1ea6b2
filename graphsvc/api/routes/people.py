"""People in the loop: messages, analyses, decisions and their approval, human input."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import Author, Coordinator, DbDep, Reader
from graphsvc.domain.models import Created, DecisionPublic, DecisionSpec, DecisionType, RequestBody
from graphsvc.engine import decisions
from graphsvc.store import people

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1", tags=["people"])


class MessageBody(RequestBody):
    user_id: str = Field(min_length=1, max_length=200)
    user_name: str | None = Field(default=None, max_length=200)
    content: str = Field(min_length=1)


class AnalysisBody(RequestBody):
    message_id: str
    intent: str = Field(min_length=1)
    category: str | None = None
    confidence: int = Field(ge=0, le=100, description="0-100.")
    reasoning: str | None = None
    replaces: str | None = Field(default=None, description="An analysis this supersedes.")


class DecideBody(RequestBody):
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Who decides (a User, created on first use); default the key's principal.",
    )
    user_name: str | None = None
    comment: str | None = None
    start: bool = Field(default=False, description="Approving a plan: start it too.")


class InputBody(RequestBody):
    text: str = Field(min_length=1)
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Who answers (a User); default the key's principal.",
    )


@router.post("/messages", response_model=Created, status_code=201)
def create_message(body: MessageBody, db: DbDep, _: Author) -> Created:
    """A user's message (``(:User)-[:INITIATES]->(:Message)``; the user is created on
    first use)."""
    return Created(id=people.create_message(db, body.user_id, body.content, body.user_name)["id"])


@router.post("/analyses", response_model=Created, status_code=201)
def create_analysis(body: AnalysisBody, db: DbDep, who: Author) -> Created:
    """What the AI concluded from a message (``TRIGGERS_ANALYSIS``); ``replaces`` marks
    an older analysis SUPERSEDED. Plans created with its ``analysis_id`` get
    ``CREATES_PLAN``. 404 for an unknown message or replaced analysis."""
    result = people.create_analysis(
        db,
        body.message_id,
        body.intent,
        body.category,
        body.confidence,
        body.reasoning,
        body.replaces,
        recorded_by=who.name,
    )
    return Created(id=result["id"])


@router.post("/decisions", response_model=Created, status_code=201)
def create_decision(body: DecisionSpec, db: DbDep, who: Author) -> Created:
    """Record a decision and its links; PENDING when it ``requires_approval``. 422 names
    every unknown linked id."""
    return Created(id=decisions.create_decision(db, body, actor=who.name))


@router.get("/decisions", response_model=list[DecisionPublic])
def list_decisions(
    db: DbDep,
    _: Reader,
    status: Annotated[str | None, Query(description="PENDING, APPROVED, ...")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    plan_id: Annotated[
        str | None, Query(description="Only those about this plan or one of its steps.")
    ] = None,
    type: Annotated[
        DecisionType | None, Query(description="CLARIFY, EXECUTE, MODIFY_PLAN, ...")
    ] = None,
) -> list[DecisionPublic]:
    """Decisions newest first, with the plan and step each affects; by status, type and
    plan."""
    return decisions.list_decisions(
        db, status, limit, plan_id, type.value if type is not None else None
    )


@router.post("/decisions/{decision_id}/approve", response_model=DecisionPublic)
def approve_decision(
    decision_id: str, body: DecideBody, db: DbDep, who: Coordinator
) -> DecisionPublic:
    """Approve a PENDING decision: a waiting approval step completes; a plan awaiting
    approval becomes APPROVED (and starts with ``start``). 409 if already decided.
    ``user_id`` defaults to the key's principal."""
    user = body.user_id or who.name
    return decisions.decide(db, decision_id, True, user, body.user_name, body.comment, body.start)


@router.post("/decisions/{decision_id}/reject", response_model=DecisionPublic)
def reject_decision(
    decision_id: str, body: DecideBody, db: DbDep, who: Coordinator
) -> DecisionPublic:
    """Reject a PENDING decision: a waiting approval step FAILS with the comment as its
    error; a plan awaiting approval is CANCELLED. 409 if already decided. ``user_id``
    defaults to the key's principal."""
    user = body.user_id or who.name
    return decisions.decide(db, decision_id, False, user, body.user_name, body.comment)


@router.post("/steps/{step_id}/input", response_model=Created)
def provide_input(step_id: str, body: InputBody, db: DbDep, who: Coordinator) -> Created:
    """A person's answer to a WAITING ``human_input`` step: the text becomes its output and
    it COMPLETES. 409 for any other step. ``user_id`` defaults to the key's principal."""
    decisions.provide_input(db, step_id, body.text, body.user_id or who.name)
    return Created(id=step_id)

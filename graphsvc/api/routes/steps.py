"""Step read routes."""

from __future__ import annotations

from fastapi import APIRouter

from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import DbDep, Reader
from graphsvc.domain.models import StepDetail
from graphsvc.store import steps as step_store

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1/steps", tags=["steps"])


@router.get("/{step_id}", response_model=StepDetail)
def get_step(step_id: str, db: DbDep, _: Reader) -> StepDetail:
    """The step, its dependencies and dependents, its child plans and its events. 404 if unknown."""
    return step_store.get_step(db, step_id)

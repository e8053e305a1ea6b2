"""Liveness and readiness."""

from __future__ import annotations

import neo4j
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graphsvc.api.deps import DbDep
from graphsvc.api.errors import error_body

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(db: DbDep) -> dict[str, str] | JSONResponse:
    """Neo4j answers (503 when it does not)."""
    try:
        db.verify()
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        return JSONResponse(error_body("neo4j_unavailable", str(exc)), 503)
    return {"status": "ready"}

"""Liveness and readiness (no key needed)."""

from __future__ import annotations

import neo4j
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from graphsvc._errors import Unavailable
from graphsvc.api.deps import DbDep
from graphsvc.api.errors import ERROR_RESPONSES, error_body
from graphsvc.engine import Sweeper

router = APIRouter(tags=["health"])

_RETRY_AFTER = {"Retry-After": str(Unavailable.retry_after_seconds)}
# /readyz waits at most this long for Neo4j to run its query (a probe's own timeout is
# often 1 - 5 s), never longer than GRAPHSVC_DB_TIMEOUT.
READY_CHECK_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses={503: ERROR_RESPONSES[503]})
def readyz(request: Request, db: DbDep) -> dict[str, str] | JSONResponse:
    """Ready to serve: Neo4j runs a query on the database (within
    ``READY_CHECK_SECONDS``; a Neo4j that accepts connections while its database still
    starts is not ready) and the lease sweeper is not stuck or failing on its own
    (``Sweeper.healthy``). 503 with the error body and ``Retry-After`` when either is
    not so."""
    try:
        db.check(timeout=min(READY_CHECK_SECONDS, db.timeout))
    except (Unavailable, neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        body = error_body("neo4j_unavailable", str(exc))
        return JSONResponse(body, 503, headers=_RETRY_AFTER)
    sweeper: Sweeper | None = getattr(request.app.state, "sweeper", None)
    if sweeper is not None and not sweeper.healthy():
        message = (
            f"the lease sweeper has not succeeded for {sweeper.seconds_since_success():.0f} s"
            f" (last error: {sweeper.last_error or 'none; it is stuck or stopped'})"
        )
        return JSONResponse(error_body("sweeper_late", message), 503, headers=_RETRY_AFTER)
    return {"status": "ready"}

"""The domain exceptions of graphsvc, under one root class.

::

    GraphsvcError                 (500 internal, or a subclass below)
    ├── ValidationFailed          422  invalid input; .problems lists every problem
    ├── NotFoundError             404  an id that names nothing
    ├── ConflictError             409  a transition the state machine forbids, a stale lease
    │   └── LeaseExpired          409  a lease used after its expiry time
    ├── AuthenticationFailed      401  no or unknown API key
    ├── PermissionDenied          403  the key's role may not do this
    ├── TooLarge                  413  one request needs more memory than Neo4j gives a transaction
    ├── Unavailable               503  Neo4j cannot be reached (or stays contended): try again
    ├── ApiUnreachable            a client could not reach the API (refused, timed out)
    └── LocalDbError              the local Neo4j could not be built, started or stopped

The API maps them to the error body ``{"error": {"code", "message",
"details"}}`` in one place (``graphsvc.api.errors``); the CLI prints their
message as one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiUnreachable",
    "AuthenticationFailed",
    "ConflictError",
    "GraphsvcError",
    "LeaseExpired",
    "LocalDbError",
    "NotFoundError",
    "PermissionDenied",
    "Problem",
    "TooLarge",
    "Unavailable",
    "ValidationFailed",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``location`` says where: ``"ticket BUILD (line 12)"`` for a ticket file,
    a JSON path like ``"steps[2].depends_on[0]"`` for a spec.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message}


class GraphsvcError(Exception):
    """Root of every error graphsvc raises on purpose."""

    code = "internal_error"
    http_status = 500

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(GraphsvcError):
    """Invalid input; ``problems`` lists every problem found, not only the first."""

    code = "validation_failed"
    http_status = 422

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = problems
        summary = message or f"{len(problems)} problem(s): " + "; ".join(map(str, problems[:5]))
        if len(problems) > 5 and message is None:
            summary += f"; and {len(problems) - 5} more"
        super().__init__(summary, {"problems": [p.as_dict() for p in problems]})


class NotFoundError(GraphsvcError):
    """An id that names no node of the expected label."""

    code = "not_found"
    http_status = 404


class ConflictError(GraphsvcError):
    """A transition the state machine forbids, a lost race, or a stale lease token."""

    code = "conflict"
    http_status = 409


class LeaseExpired(ConflictError):
    """A lease used after its ``lease_expires_at``: the step goes back as the sweeper
    would take it (READY, a lease loss counted), whether or not the sweeper has passed."""

    code = "lease_expired"


class AuthenticationFailed(GraphsvcError):
    """No API key, or one that is not configured."""

    code = "unauthenticated"
    http_status = 401


class PermissionDenied(GraphsvcError):
    """The API key's role does not allow this operation."""

    code = "forbidden"
    http_status = 403


class TooLarge(GraphsvcError):
    """One request's transaction needs more memory than Neo4j allows a transaction
    (``dbms.memory.transaction.total.max``, 70 % of the heap by default): nothing was
    written. Send less per request, or give Neo4j a larger heap."""

    code = "too_large"
    http_status = 413


class Unavailable(GraphsvcError):
    """Neo4j did not answer within ``GRAPHSVC_DB_TIMEOUT`` seconds, or a transaction kept
    deadlocking for two minutes: nothing was written. Answered 503 with ``Retry-After``."""

    code = "neo4j_unavailable"
    http_status = 503
    retry_after_seconds = 5


class ApiUnreachable(GraphsvcError):
    """A REST client got no answer from the API: connection refused or reset, or a timeout."""

    code = "api_unreachable"
    http_status = 503


class LocalDbError(GraphsvcError):
    """The local Neo4j could not be built, started or stopped."""

    code = "local_db_error"

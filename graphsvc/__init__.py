"""graphsvc: graph-native orchestration for AI-agent work on Neo4j.

Plans, steps, decisions and child plans are Neo4j nodes and relationships
(see ``shared/DESIGN.md``); Cypher answers what can run, what blocks what and
who did what, and a thin REST API executes the graph.
"""

from graphsvc._errors import (
    AuthenticationFailed,
    ConflictError,
    GraphsvcError,
    LocalDbError,
    NotFoundError,
    PermissionDenied,
    Problem,
    TooLarge,
    Unavailable,
    ValidationFailed,
)
from graphsvc.settings import Settings
from graphsvc.worker import Client, StepContext, StepFailed, Worker

__version__ = "0.1.0"

__all__ = [
    "AuthenticationFailed",
    "Client",
    "ConflictError",
    "GraphsvcError",
    "LocalDbError",
    "NotFoundError",
    "PermissionDenied",
    "Problem",
    "Settings",
    "StepContext",
    "StepFailed",
    "TooLarge",
    "Unavailable",
    "ValidationFailed",
    "Worker",
    "__version__",
]

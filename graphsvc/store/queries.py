"""Running the named queries of ``cypher/`` on behalf of a user, read-only."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.domain.models import MAX_SEQ
from graphsvc.store._convert import from_neo4j
from graphsvc.store._db import Database, Tx
from graphsvc.store._queries import load_query

__all__ = ["run_named_query", "run_read_only"]


def run_read_only(db: Database, text: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run Cypher in a read transaction: ``{"columns": [...], "rows": [{...}]}``.

    Neo4j refuses a write in a read transaction (``neo4j.exceptions.ClientError``
    with code ``Neo.ClientError.Statement.AccessMode``).
    """

    def work(tx: Tx) -> dict[str, Any]:
        result = tx.run(text, parameters)
        rows = [from_neo4j(record.data()) for record in result]
        return {"columns": list(result.keys()), "rows": rows}

    return db.read(work)


def run_named_query(db: Database, name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run ``cypher/<name>.cypher`` read-only with ``parameters``.

    Raises ``NotFoundError`` for an unknown name and ``ValidationFailed`` naming
    every missing or unknown parameter and every integer beyond 64 bits.
    """
    query = load_query(name)
    problems = [
        Problem(f"parameters.{p}", "missing parameter")
        for p in sorted(query.declared_params - parameters.keys())
    ]
    problems += [
        Problem(
            f"parameters.{p}",
            f"unknown parameter; {name} takes {', '.join(sorted(query.declared_params)) or 'none'}",
        )
        for p in sorted(parameters.keys() - query.declared_params)
    ]
    problems += [
        Problem(f"parameters.{where}", "an integer beyond 64 bits; Neo4j cannot hold it")
        for where in _too_wide(parameters)
    ]
    if problems:
        raise ValidationFailed(problems)
    return run_read_only(db, query.body, parameters)


_INT64 = (-(2**63), MAX_SEQ)  # Neo4j's integers


def _too_wide(value: Any, path: str = "") -> list[str]:
    """The paths of the integers in ``value`` that Neo4j's 64-bit integers cannot hold."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [] if _INT64[0] <= value <= _INT64[1] else [path]
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in _too_wide(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [w for i, v in enumerate(value) for w in _too_wide(v, f"{path}[{i}]")]
    return []

"""The named read-only queries of ``cypher/`` over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import DbDep, Reader
from graphsvc.domain.models import RequestBody
from graphsvc.store import list_queries as query_files
from graphsvc.store.queries import run_named_query

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1/queries", tags=["queries"])


class QueryInfo(BaseModel):
    name: str
    description: str
    parameters: list[str]
    result_columns: list[str]


class QueryRun(RequestBody):
    parameters: dict[str, Any] = Field(default_factory=dict)


class QueryResult(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]


@router.get("", response_model=list[QueryInfo])
def list_queries(_: Reader) -> list[QueryInfo]:
    """Every named query: its parameters and result columns, from the file's header."""
    return [
        QueryInfo(
            name=q.name,
            description=q.header.splitlines()[0] if q.header else "",
            parameters=sorted(q.declared_params),
            result_columns=list(q.result_columns),
        )
        for q in query_files()
    ]


@router.post("/{name}", response_model=QueryResult)
def run_query(name: str, body: QueryRun, db: DbDep, _: Reader) -> QueryResult:
    """Run ``cypher/<name>.cypher`` in a read transaction. 404 unknown name, 422 bad parameters."""
    return QueryResult.model_validate(run_named_query(db, name, body.parameters))

"""One place that maps errors to the body ``{"error": {"code", "message", "details"}}``.

``GraphsvcError`` subclasses carry their status (404, 409, 422, 401, 403, 413, and
503 with ``Retry-After``);
FastAPI's request validation becomes a 422 listing every problem with its
location; a Neo4j refusal of a write in a read transaction becomes a 403.
"""

from __future__ import annotations

from typing import Any

import neo4j
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from graphsvc._errors import GraphsvcError, Problem, Unavailable, ValidationFailed

__all__ = ["ERROR_RESPONSES", "ErrorBody", "error_body", "install_error_handlers"]


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable name: not_found, conflict, validation_failed, ...")
    message: str = Field(description="What was wrong and what to do, for people.")
    details: Any = Field(default=None, description="Structured details; 422 lists problems.")


class ErrorBody(BaseModel):
    """The body of every error response, whatever its status."""

    error: ErrorDetail


# Declared on every route (OpenAPI), so clients and the fuzz test know every error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or an unknown one."},
    403: {"model": ErrorBody, "description": "The key's role or agent may not do this."},
    404: {"model": ErrorBody, "description": "An id that names nothing."},
    409: {"model": ErrorBody, "description": "A transition the state machine forbids."},
    413: {"model": ErrorBody, "description": "The body or the transaction is too large."},
    422: {"model": ErrorBody, "description": "Invalid input: every problem, with where."},
    500: {"model": ErrorBody, "description": "A bug: logged on the server."},
    503: {"model": ErrorBody, "description": "Neo4j is unavailable: try again (Retry-After)."},
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape of the API: ``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details}}


def _loc(loc: tuple[int | str, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or str(loc[0] if loc else "request")


async def _graphsvc_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GraphsvcError)
    headers = (
        {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, Unavailable) else None
    )
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), exc.http_status, headers=headers
    )


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [Problem(_loc(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
    return await _graphsvc_error(_, ValidationFailed(problems))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # a body that does not parse: invalid input, like any other
        problem = Problem("body", str(exc.detail))
        return await _graphsvc_error(request, ValidationFailed([problem]))
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Every method of the path, not only those of the first route that matched it
        # (RFC 9110 section 15.5.6: a 405 lists the allowed methods in Allow).
        allowed = _allowed_methods(request)
        if allowed:  # else (a mounted app's own 405) the header it set, if any
            headers["Allow"] = ", ".join(allowed)
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at the request's path (Starlette's own matching)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        scope = {**request.scope, "method": method}
        if any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _neo4j_client_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, neo4j.exceptions.ClientError)
    if exc.code and "AccessMode" in exc.code:
        return JSONResponse(
            error_body(
                "forbidden",
                "this query writes; named queries are read-only",
                {"neo4j_code": exc.code},
            ),
            403,
        )
    return JSONResponse(
        error_body("query_failed", exc.message or str(exc), {"neo4j_code": exc.code}), 422
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(GraphsvcError, _graphsvc_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(neo4j.exceptions.ClientError, _neo4j_client_error)

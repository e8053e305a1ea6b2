"""Logs (issue 23): readable text by default, JSON lines with ``GRAPHSVC_LOG_FORMAT=json``
(python-json-logger). Every line of a request carries its request id (asgi-correlation-id;
the ``X-Request-ID`` the client sent, else a new one, sent back) and the plan and step
ids its path names; the Neo4j driver's warnings (its retries among them) are counted in
``graphsvc_driver_warnings_total``, not printed."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Literal

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Receive, Scope, Send

from graphsvc.metrics import DRIVER_WARNINGS

__all__ = ["PathIds", "configure_logging"]

_PLAN_ID: ContextVar[str | None] = ContextVar("graphsvc_log_plan_id", default=None)
_STEP_ID: ContextVar[str | None] = ContextVar("graphsvc_log_step_id", default=None)
_IDS = re.compile(r"^/(?:v1|ui)/(plans|steps)/([^/]+)")

# CorrelationIdFilter names the request id ``correlation_id``; JSON lines call it request_id.
TEXT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s%(ids)s"
JSON = "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(plan_id)s %(step_id)s"


class PathIds:
    """ASGI middleware: the plan or step id a request's path names, for its log lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _IDS.match(scope.get("path", "")) if scope["type"] == "http" else None
        plan = _PLAN_ID.set(found[2] if found and found[1] == "plans" else None)
        step = _STEP_ID.set(found[2] if found and found[1] == "steps" else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _PLAN_ID.reset(plan)
            _STEP_ID.reset(step)


class _Ids(logging.Filter):
    """Adds ``plan_id`` and ``step_id`` (and, for text, ``ids``) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        plan = getattr(record, "plan_id", None) or _PLAN_ID.get()
        step = getattr(record, "step_id", None) or _STEP_ID.get()
        shown = " ".join(
            s for s in (f"plan={plan}" if plan else "", f"step={step}" if step else "") if s
        )
        # Attributes a LogRecord does not declare: the formatters read them by name.
        record.__dict__.update(plan_id=plan, step_id=step, ids=f" {shown}" if shown else "")
        return True


class _CountDriverWarnings(logging.Filter):
    """Counts the driver's warnings (loggers ``neo4j`` and below) and drops them; its
    errors still show, and every other logger's lines pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "neo4j" and not record.name.startswith("neo4j."):
            return True
        if record.levelno >= logging.ERROR:
            return True
        if record.levelno >= logging.WARNING:
            DRIVER_WARNINGS.inc()
        return False


def configure_logging(fmt: Literal["text", "json"] = "text", level: int = logging.INFO) -> None:
    """Send every log line to stderr as text or JSON, at ``level`` and above, each with
    its request, plan and step ids; uvicorn's loggers included (run it with
    ``log_config=None``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationIdFilter(default_value="-"))
    handler.addFilter(_Ids())
    handler.addFilter(_CountDriverWarnings())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON,
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "correlation_id": "request_id",
                },
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx says every request at INFO: a worker's claims and heartbeats would flood.
    logging.getLogger("httpx").setLevel(logging.WARNING)

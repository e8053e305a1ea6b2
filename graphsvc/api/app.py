"""The FastAPI application: routes, error mapping, guards, and the database lifecycle."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

import graphsvc
from graphsvc import tracing
from graphsvc._errors import GraphsvcError
from graphsvc.api._guards import CatchAll, LimitBodies
from graphsvc.api._mcp import McpEndpoint
from graphsvc.api._signal import WakeClaims, WorkSignal
from graphsvc.api.auth import LOCAL_PRINCIPAL, Principal, parse_api_keys
from graphsvc.api.deps import any_key
from graphsvc.api.errors import ERROR_RESPONSES, install_error_handlers
from graphsvc.api.routes import (
    agents,
    changes,
    health,
    people,
    plans,
    queries,
    steps,
    stream,
    work,
)
from graphsvc.engine import Sweeper
from graphsvc.engine.reconcile import reconcile
from graphsvc.localkey import KEY_FILE, local_key
from graphsvc.logs import PathIds
from graphsvc.metrics import app_registry
from graphsvc.settings import Settings
from graphsvc.store import Database, resolve_target
from graphsvc.store._queries import engine_query

__all__ = ["Database", "api_keys_of", "connect_database", "create_app"]

_READY_BY_KIND = engine_query("count_ready_steps")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def _request_id_ok(value: str) -> bool:
    """A client's X-Request-ID is kept when it is 1-128 letters, digits or ``_.:-``
    (any tracing system's ids; nothing that could forge a log line); else a new one."""
    return _REQUEST_ID.fullmatch(value) is not None


log = logging.getLogger("graphsvc.api")


def api_keys_of(settings: Settings) -> dict[str, Principal]:
    """The keys the API accepts: ``GRAPHSVC_API_KEYS`` when set, else the local admin key
    (``graphsvc.localkey``), generated in the data folder on first use. Raises
    ``ValidationFailed`` for a malformed or empty key list."""
    if settings.api_keys:
        return parse_api_keys(settings.api_keys)
    key = local_key(settings.data_dir)
    log.warning(
        "GRAPHSVC_API_KEYS is not set: the API accepts the local admin key in %s "
        "(the CLI on this machine reads it; send it as 'Authorization: Bearer <key>')",
        settings.data_dir / KEY_FILE,
    )
    return {key: LOCAL_PRINCIPAL}


def connect_database(settings: Settings) -> Database:
    """The database ``settings`` name (``NEO4J_URI``, else the local Neo4j, started if it
    is not running), connected and checked on the caller's thread, so that a Neo4j that
    cannot be reached is one clear ``Unavailable``, not a server's traceback; the
    schema applied (this is an API's start-up). The caller closes it."""
    db = Database(resolve_target(settings, announce=log.warning), timeout=settings.db_timeout)
    try:
        db.check()
        db.apply_schema()
    except BaseException:
        db.close()
        raise
    return db


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app. With ``db`` given it is used as is (and not closed); otherwise the
    app connects at start-up (``NEO4J_URI`` or the local Neo4j) and applies the schema.
    At start-up it reconciles readiness (``engine.reconcile``) unless
    ``reconcile_on_start`` is off, and starts the lease sweeper.

    Keys are always on (``api_keys_of``). CORS answers only the origins of
    ``GRAPHSVC_CORS_ORIGINS`` (none by default).
    Raises ``ValidationFailed`` for malformed or empty ``GRAPHSVC_API_KEYS``.
    """
    settings = settings or Settings()
    api_keys = api_keys_of(settings)
    mcp = McpEndpoint(api_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = db is None
        database = db or Database(
            resolve_target(settings, announce=log.warning), timeout=settings.db_timeout
        )
        if own:
            database.apply_schema()
        app.state.db = database
        if settings.reconcile_on_start:
            report = await run_in_threadpool(reconcile, database)
            if report.changed:
                log.warning("reconciled readiness at start-up: %s", report)
        sweeper = Sweeper(database, settings.sweep_interval, settings.agent_inactive_after)
        app.state.sweeper = sweeper
        sweeper.start()
        try:
            async with mcp.running(database):
                yield
        finally:
            sweeper.stop()
            if own:
                database.close()

    app = FastAPI(
        title="graphsvc",
        version=graphsvc.__version__,
        lifespan=lifespan,
        # Docs served from files in the wheel (no CDN), below; operationIds are the
        # routes' function names (create_plan, claim_steps, ...), stable across versions.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
        description="Graph-native orchestration for AI-agent work on Neo4j. Every request "
        "but /healthz, /readyz, the docs and the plan page's files (/ui, /static: they hold "
        "no data) needs 'Authorization: Bearer <key>'.",
    )
    app.state.api_keys = api_keys
    app.state.settings = settings
    app.state.work_signal = WorkSignal()

    # Added inner to outer: CatchAll wraps everything but Starlette's own last resort.
    app.add_middleware(WakeClaims, signal=app.state.work_signal)
    app.add_middleware(LimitBodies, max_bytes=settings.max_body_bytes, keys=api_keys)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(CatchAll)
    # Outermost: every log line of a request, its error responses included, carries the
    # request id (X-Request-ID, sent back) and the plan or step id its path names.
    app.add_middleware(PathIds)
    app.add_middleware(
        CorrelationIdMiddleware, header_name="X-Request-ID", validator=_request_id_ok
    )

    install_error_handlers(app)
    app.include_router(health.router)
    for module in (plans, stream, work, steps, changes, people, agents, queries):
        app.include_router(module.router, responses=ERROR_RESPONSES)

    _serve_docs(app)
    _serve_ui(app)
    tracing.instrument_app(app)  # only with OTEL_EXPORTER_OTLP_ENDPOINT

    # GET /metrics (Prometheus): HTTP series by route and status, and the engine's own.
    def ready() -> list[tuple[str, int]]:
        database: Database | None = getattr(app.state, "db", None)
        if database is None:
            return []
        try:
            rows = database.read(lambda tx: tx.run(_READY_BY_KIND).data())
        except GraphsvcError:  # Neo4j unreachable: the other series still answer
            log.warning("the READY backlog could not be read for /metrics", exc_info=True)
            return []
        return [(str(r["kind"]), int(r["count"])) for r in rows]

    registry = app_registry(ready)
    # Any key may scrape (Prometheus sends it: `authorization: {credentials: KEY}`): keys
    # are always on, and a scrape asks Neo4j for the READY backlog.
    Instrumentator(
        registry=registry, should_group_status_codes=False, excluded_handlers=["/metrics"]
    ).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False, dependencies=[Depends(any_key)]
    )
    # MCP over streamable HTTP (graphsvc.api._mcp): the same tools as `graphsvc mcp`.
    app.router.routes.append(Route("/mcp", endpoint=mcp, methods=["GET", "POST", "DELETE"]))
    return app


_DOCS_FILES = Path(__file__).parent / "static" / "docs"


def _serve_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files shipped in the wheel, so
    they render without internet access (``static/docs/README.md`` names the versions)."""
    app.mount("/static/docs", StaticFiles(directory=_DOCS_FILES), name="docs-files")
    spec = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=spec,
            title="graphsvc API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon-32x32.png",
            # No badge from validator.swagger.io: nothing leaves this server.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=spec,
            title="graphsvc API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon-32x32.png",
            with_google_fonts=False,
        )


_UI_FILES = Path(__file__).parent / "static" / "ui"
# Out of the mounted folder: the page is served only with its security headers.
_UI_PAGE = Path(__file__).parent / "static" / "page" / "plan.html"
# The page loads its own script and style only, and speaks only to this server.
_UI_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _serve_ui(app: FastAPI) -> None:
    """``/ui/plans/{id}``: the live picture of a plan (``static/ui/plan.js``), a page with
    no data of its own: its script reads the API key from the URL fragment and asks the
    API. Its files ship in the wheel (dagre from npm draws the layout): no CDN."""
    app.mount("/static/ui", StaticFiles(directory=_UI_FILES), name="ui-files")

    @app.get("/ui/plans/{plan_id}", include_in_schema=False)
    def plan_page(plan_id: str) -> FileResponse:
        return FileResponse(
            _UI_PAGE,
            media_type="text/html",
            headers={"Content-Security-Policy": _UI_POLICY, "Cache-Control": "no-store"},
        )

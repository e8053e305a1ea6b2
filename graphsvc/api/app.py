"""The FastAPI application: routes, error mapping, and the database lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

import graphsvc
from graphsvc.api._signal import WakeClaims, WorkSignal
from graphsvc.api.auth import parse_api_keys
from graphsvc.api.errors import install_error_handlers
from graphsvc.api.routes import agents, changes, health, people, plans, queries, steps, work
from graphsvc.engine import Sweeper
from graphsvc.settings import Settings
from graphsvc.store import Database, resolve_target
from graphsvc.store.reconcile import reconcile

__all__ = ["create_app"]

log = logging.getLogger("graphsvc.api")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app. With ``db`` given it is used as is (and not closed); otherwise the
    app connects at start-up (``NEO4J_URI`` or the local Neo4j) and applies the schema.
    At start-up it reconciles readiness (``store.reconcile``) unless
    ``reconcile_on_start`` is off, and starts the lease sweeper.
    Raises ``ValidationFailed`` for malformed ``GRAPHSVC_API_KEYS``.
    """
    settings = settings or Settings()
    api_keys = parse_api_keys(settings.api_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = db is None
        database = db or Database(resolve_target(settings, announce=log.warning))
        if own:
            database.apply_schema()
        app.state.db = database
        if settings.reconcile_on_start:
            report = await run_in_threadpool(reconcile, database)
            if report.changed:
                log.warning("reconciled readiness at start-up: %s", report)
        sweeper = Sweeper(database, settings.sweep_interval, settings.agent_inactive_after)
        sweeper.start()
        if not api_keys:
            log.warning("GRAPHSVC_API_KEYS is empty: answering 127.0.0.1 only, as admin")
        try:
            yield
        finally:
            sweeper.stop()
            if own:
                database.close()

    app = FastAPI(
        title="graphsvc",
        version=graphsvc.__version__,
        lifespan=lifespan,
        description="Graph-native orchestration for AI-agent work on Neo4j.",
    )
    app.state.api_keys = api_keys
    app.state.settings = settings
    app.state.work_signal = WorkSignal()

    app.add_middleware(WakeClaims, signal=app.state.work_signal)

    install_error_handlers(app)
    for module in (health, plans, work, steps, changes, people, agents, queries):
        app.include_router(module.router)
    return app

"""The API served in this process on a loopback port (for CLI commands given no
``--api``), in a thread, with an admin key of its own."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING

import uvicorn

from graphsvc._errors import GraphsvcError
from graphsvc.api.app import connect_database, create_app
from graphsvc.localdb import free_port
from graphsvc.settings import Settings

if TYPE_CHECKING:
    from graphsvc.api.app import Database

__all__ = ["LocalApi"]

log = logging.getLogger("graphsvc.cli")


class LocalApi:
    """uvicorn serving ``create_app`` on 127.0.0.1:<free port> with an admin key of its own
    (``key``, principal ``cli``; nothing outside this process knows it) and a viewer key
    (``viewer_key``, for the live page ``graphsvc run`` points to) beside the keys
    of ``GRAPHSVC_API_KEYS``, if any (the local key is neither needed nor generated).
    With ``db`` the app uses that database; otherwise it connects at start-up
    (``NEO4J_URI`` or the local Neo4j) and applies the schema, as ``serve`` does."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db
        self._own_db: Database | None = None
        self.port = free_port()
        self.key = secrets.token_urlsafe(32)
        # A viewer key too, for the plan's live page: what `graphsvc run` prints may only read.
        self.viewer_key = secrets.token_urlsafe(32)
        own_keys = f"{self.key}:admin:cli,{self.viewer_key}:viewer:cli-page"
        keys = ",".join(k for k in (settings.api_keys, own_keys) if k)
        own = settings.model_copy(update={"api_keys": keys})
        self._app_settings = own
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalApi:
        if self.db is None:
            self._own_db = connect_database(self.settings)
        config = uvicorn.Config(
            create_app(self._app_settings, db=self.db or self._own_db),
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            lifespan="on",
            timeout_graceful_shutdown=5,  # open streams are cut, then the shutdown runs
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 300  # the first start may build and start Neo4j
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise GraphsvcError("the in-process API did not start; see the lines above")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(30)
        if self._own_db is not None:
            self._own_db.close()

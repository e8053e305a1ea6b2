"""The API served in-process on a loopback port (for ``graphsvc run``), in a thread."""

from __future__ import annotations

import secrets
import threading
import time

import uvicorn

from graphsvc._errors import GraphsvcError
from graphsvc.api.app import create_app
from graphsvc.api.auth import Principal, Role
from graphsvc.localdb import free_port
from graphsvc.settings import Settings
from graphsvc.store import Database

__all__ = ["LocalApi"]


class LocalApi:
    """uvicorn serving ``create_app(settings, db)`` on 127.0.0.1:<free port>, with an admin
    key of its own (``key``, principal ``cli``) beside the configured ones."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.port = free_port()
        self.key = secrets.token_urlsafe(32)
        own = {self.key: Principal("cli", Role.ADMIN)}
        config = uvicorn.Config(
            create_app(settings, db=db, extra_keys=own),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalApi:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise GraphsvcError("the in-process API did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

"""The lease sweeper: a thread in each API process that takes back expired leases and
timed-out attempts (each counts as a failed attempt). Several API processes may
sweep at once: the store re-checks each step under its lock."""

from __future__ import annotations

import logging
import threading
import time

import neo4j

from graphsvc.store import Database
from graphsvc.store.agents import mark_inactive
from graphsvc.store.work import sweep

__all__ = ["Sweeper"]

log = logging.getLogger("graphsvc.sweeper")


class Sweeper:
    """Calls ``sweep`` every ``interval`` seconds until ``stop()``, and marks agents
    not seen for ``inactive_after`` seconds INACTIVE (checked every tenth of that,
    not at every sweep: an agent turns INACTIVE at most 10 % late)."""

    def __init__(self, db: Database, interval: float = 1.0, inactive_after: float = 300.0) -> None:
        self.db = db
        self.interval = interval
        self.inactive_after = inactive_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        next_inactive_check = 0.0
        while not self._stop.wait(self.interval):
            try:
                taken = sweep(self.db)
                if taken:
                    log.info("took back %d expired lease(s)", taken)
                if time.monotonic() >= next_inactive_check:
                    mark_inactive(self.db, self.inactive_after)
                    next_inactive_check = time.monotonic() + self.inactive_after / 10
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                log.warning("sweep failed: %s", exc)

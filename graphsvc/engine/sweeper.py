"""The lease sweeper: a thread in each API process that takes back expired leases and
timed-out attempts (``engine.work.sweep``), fails waiting gate steps past their deadline
(``engine.decisions.expire_deadlines``), numbers the journal batches a process
committed and did not number (``store.journal.number_leftovers``), ends running plans
whose steps all ended but which nobody ended (``engine.work.end_stalled_plans``, every
30 s) and marks agents not seen INACTIVE. Several
API processes may sweep at once: the store re-checks each step under its lock.

The thread survives every error: it logs it and tries again at the next interval.
``healthy`` says whether a sweep succeeded lately; ``/readyz`` answers 503 when not.
"""

from __future__ import annotations

import logging
import threading
import time

from graphsvc._errors import Unavailable
from graphsvc.engine.decisions import expire_deadlines
from graphsvc.engine.work import end_stalled_plans, sweep
from graphsvc.metrics import SWEEPER_LAST_SUCCESS
from graphsvc.store import Database
from graphsvc.store.agents import mark_inactive
from graphsvc.store.journal import number_leftovers

__all__ = ["Sweeper"]

log = logging.getLogger("graphsvc.sweeper")

# A sweep counts as late after this many intervals without a success (plus the time a
# call may wait for Neo4j): one slow or failed sweep is not yet a problem, five are.
LATE_AFTER_INTERVALS = 5
# Running plans whose steps all ended are looked for this often (seconds): the backstop
# of the check each completion schedules after its commit (engine.work).
STALL_CHECK_SECONDS = 30.0


class Sweeper:
    """Calls ``sweep`` every ``interval`` seconds until ``stop()``, and marks agents
    not seen for ``inactive_after`` seconds INACTIVE (checked every tenth of that,
    not at every sweep: an agent turns INACTIVE at most 10 % late)."""

    def __init__(self, db: Database, interval: float = 1.0, inactive_after: float = 300.0) -> None:
        self.db = db
        self.interval = interval
        self.inactive_after = inactive_after
        self.last_success = time.monotonic()  # the start counts: the first sweep is due
        # The last sweep that ended as it should: succeeded, or found Neo4j unavailable
        # (that is /readyz's Neo4j check's to report, and must not outlast Neo4j's return).
        self.last_ended = self.last_success
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def healthy(self) -> bool:
        """True while the thread runs and its last sweep ended lately (succeeded, or
        failed only because Neo4j was unavailable): within ``LATE_AFTER_INTERVALS``
        intervals plus the database's timeout. A sweep stuck, or failing otherwise, is
        late."""
        late_after = LATE_AFTER_INTERVALS * self.interval + self.db.timeout
        alive = self._thread.is_alive() or not self._thread.ident
        return alive and time.monotonic() - self.last_ended <= late_after

    def seconds_since_success(self) -> float:
        """Seconds since the last successful sweep (or the start)."""
        return time.monotonic() - self.last_success

    def _loop(self) -> None:
        next_inactive_check = 0.0
        next_stall_check = 0.0
        while not self._stop.wait(self.interval):
            try:
                taken = sweep(self.db)
                if taken:
                    log.info("took back %d expired lease(s)", taken)
                numbered = number_leftovers(self.db)
                if numbered:
                    log.info("numbered %d journal batch(es) their writer left", numbered)
                expired = expire_deadlines(self.db)
                if expired:
                    log.info("failed %d waiting step(s) past their deadline", expired)
                if time.monotonic() >= next_stall_check:
                    end_stalled_plans(self.db)
                    next_stall_check = time.monotonic() + STALL_CHECK_SECONDS
                if time.monotonic() >= next_inactive_check:
                    mark_inactive(self.db, self.inactive_after)
                    next_inactive_check = time.monotonic() + self.inactive_after / 10
            except Unavailable as exc:
                self.last_ended = time.monotonic()
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("sweep failed: %s; trying again in %g s", exc, self.interval)
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("sweep failed; trying again in %g s", self.interval)
            else:
                self.last_success = self.last_ended = time.monotonic()
                self.last_error = None
                SWEEPER_LAST_SUCCESS.set(time.time())

"""The journal's sequencer: numbers a plan's committed ``EventBatch`` nodes.

Writers record a plan's transitions without a number (``store._events``); the
sequencer gives them numbers afterwards, in one short transaction per plan under a
lock of the plan's ``EventSequence`` node (``number_event_batches.cypher``), taking
the plan's unnumbered batches in the order they were written. A transition that
started after another committed is thus numbered after it, every transition gets one
number, and the numbers of a plan have no gaps: ``events?after=`` pages, SSE ids and
cursors read numbered events only and see each once, in order. This is the
high-water-mark pattern of event stores (../shared/DESIGN.md section 9).

Three callers number:
- the process that committed, right after its commit (``Database.sequencer``, a
  ``Coalescer``): a thread of the ``Database`` takes the plans written since its last
  pass and numbers each, so many commits of one plan cost one numbering (coalesced),
  off the request's path;
- a reader that finds a plan with unnumbered batches (``number_plan``), so a
  request sees the events of every write committed before it;
- the sweeper, for a plan whose writer stopped between its commit and the numbering
  (``number_leftovers``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from graphsvc.store._convert import node_props
from graphsvc.store._queries import engine_query

if TYPE_CHECKING:
    from graphsvc.store._db import Database, Tx

__all__ = ["Coalescer", "list_plan_events", "number_leftovers", "number_plan"]

log = logging.getLogger("graphsvc.store.sequencer")

_NUMBER = engine_query("number_event_batches")
_LEFTOVERS = engine_query("find_unnumbered_plans")
_EVENTS = engine_query("list_plan_events")
# Batches numbered per transaction: a backlog (after a crash) is numbered in parts.
_BATCHES_PER_TRANSACTION = 1000


def number_plan(db: Database, plan_id: str) -> int:
    """Number every committed, unnumbered batch of the plan; the number of batches
    numbered. Safe to call from any number of processes at once (they take turns on
    the plan's sequence node)."""

    def work(tx: Tx) -> int:
        row = tx.run(_NUMBER, plan_id=plan_id, limit=_BATCHES_PER_TRANSACTION).single(strict=True)
        return int(row["numbered"])

    total = 0
    while True:
        numbered = db.write(work)
        total += numbered
        if numbered < _BATCHES_PER_TRANSACTION:
            return total


def number_leftovers(db: Database, older_than_ms: int = 1000, limit: int = 100) -> int:
    """Number the batches of plans whose batches were committed more than
    ``older_than_ms`` ago and are still unnumbered (their writer stopped before it
    numbered them); the number of batches numbered."""
    rows = db.read(lambda tx: tx.run(_LEFTOVERS, older_than_ms=older_than_ms, limit=limit).data())
    return sum(number_plan(db, r["plan_id"]) for r in rows)


def list_plan_events(
    db: Database, plan_id: str, after: int, limit: int
) -> list[dict[str, Any]] | None:
    """The plan's numbered events with ``seq > after``, in order, at most ``limit``, each
    ``{id, seq, type, step_id, from_status, to_status, message, detail, actor,
    timestamp}``; None when no plan has this id. When the page is short and the plan has
    batches not numbered yet, they are numbered first: a read sees every event committed
    before it."""

    def work(tx: Tx) -> dict[str, Any] | None:
        record = tx.run(_EVENTS, plan_id=plan_id, after=after, limit=limit).single()
        return None if record is None else record.data()

    row = db.read(work)
    if row is not None and row["pending"] and len(row["events"]) < limit:
        number_plan(db, plan_id)
        row = db.read(work)
    if row is None:
        return None
    return sorted((node_props(e) for e in row["events"]), key=lambda e: int(e["seq"]))


class Coalescer:
    """Runs ``fn(key)`` on a daemon thread of its own for each key ``schedule``d since its
    last pass, once per pass however often it was scheduled: work that follows commits
    (numbering a plan's journal, checking whether a plan ended) costs one run per key
    while commits come faster than it runs, and stays off the request's path. An error
    is logged; the sweeper catches what was left."""

    def __init__(self, name: str, fn: Callable[[str], object], linger: float = 0.005) -> None:
        """``linger``: seconds the thread waits after a wake-up before it runs, so the
        commits of that moment share one run (5 ms: far below the 50 ms within which a
        commit's events are to be numbered)."""
        self.name = name
        self.linger = linger
        self._fn = fn
        self._pending: set[str] = set()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def schedule(self, keys: Iterable[str]) -> None:
        """Run ``fn`` for these keys soon."""
        with self._wake:
            if self._stopped:
                return
            self._pending.update(keys)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._wake.notify()

    def stop(self) -> None:
        """Run what is scheduled, then stop the thread (within 10 s)."""
        with self._wake:
            self._stopped = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(10)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopped:
                    self._wake.wait()
                if not self._pending:
                    return
            # Linger a moment: the commits that follow within it share this run.
            time.sleep(self.linger)
            with self._wake:
                keys, self._pending = sorted(self._pending), set()
            for key in keys:
                try:
                    self._fn(key)
                except Exception:
                    log.exception(
                        "%s: the run for %s failed; the sweeper takes it up", self.name, key
                    )

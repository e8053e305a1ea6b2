"""The connection to Neo4j: a driver, the database name, the schema.

``Database`` is the one object the store modules run Cypher through. Every
call names the database (the driver docs' advice: it saves a round trip) and
runs a transaction function that may be tried again (``retry_policy``), so
transaction functions must be idempotent, as for the driver's managed
transactions.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import neo4j

from graphsvc._errors import TooLarge, Unavailable
from graphsvc.domain.leases import hash_token
from graphsvc.settings import Settings
from graphsvc.store._events import flush_journal
from graphsvc.store._queries import engine_query, schema_statements, table_parameters
from graphsvc.store.journal import Coalescer, number_plan
from graphsvc.tracing import span

__all__ = [
    "Database",
    "Neo4jTarget",
    "Tx",
    "resolve_target",
]

T = TypeVar("T")

log = logging.getLogger("graphsvc.store")


@dataclass(frozen=True)
class Neo4jTarget:
    """Where Neo4j is and how to log in."""

    uri: str
    user: str
    password: str | None
    database: str = "neo4j"


def resolve_target(
    settings: Settings,
    announce: Callable[[str], None] | None = None,
) -> Neo4jTarget:
    """``NEO4J_URI`` when set; else the local Neo4j, started if needed.

    When it starts the local Neo4j it says so in one line through ``announce``.
    Raises ``LocalDbError`` when the local Neo4j cannot start.
    """
    if settings.neo4j_uri:
        return Neo4jTarget(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
    from graphsvc.localdb import start

    info, started = start(settings)
    if announce is not None:
        verb = "started" if started else "using"
        announce(
            f"NEO4J_URI is not set: {verb} the local Neo4j at {info.uri} "
            f"(Browser {info.browser_url}; stop it with `graphsvc db stop`)"
        )
    return Neo4jTarget(info.uri, info.user, info.password, "neo4j")


# Deadlocks between concurrent writers are retried for this long in all: 16 clients for
# 2 minutes once ran out of the driver's 30 s ten times, each a 5xx.
_CONTENTION_SECONDS = 120.0
_CONTENTION_CODES = ("DeadlockDetected", "LockAcquisitionTimeout", "LockClientStopped")
# Neo4j's codes for a transaction over its own memory limit (always this transaction's
# size), and for the pool shared by all transactions running out (this one, or others).
_OWN_MEMORY_LIMIT = ("TransactionOutOfMemoryError", "TransactionMemoryLimit")
_POOL_OUT_OF_MEMORY = ("MemoryPoolOutOfMemoryError", "OutOfMemoryError")
# Out of memory after working this long, a transaction is the one that needs the memory
# (413 at once); sooner, it is more likely a small one beside it, and is tried again.
_BIG_TRANSACTION_SECONDS = 1.0
_CONNECTION_ERRORS = (
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
    OSError,
)

Verdict = Literal["retry", "too_large", "unavailable", "raise"]


def retry_policy(
    code: str | None,
    connection_lost: bool,
    attempt_seconds: float,
    total_seconds: float,
    timeout: float,
    outcome_unknown: bool = False,
) -> Verdict:
    """What to do after a transaction failed: with Neo4j's error ``code`` (None for a
    driver error), whether the connection was lost, how long the failed attempt and all
    attempts took, the database ``timeout`` (seconds), and whether the commit may have
    landed (the connection dropped while the commit was answered).

    - the commit may have landed: ``unavailable`` at once, never again (the driver's
      own rule: ``IncompleteCommit`` is not retryable);
    - over its own memory limit: ``too_large`` at once;
    - the shared memory pool out: ``too_large`` when the attempt ran
      ``_BIG_TRANSACTION_SECONDS`` or more (the transaction itself is the large one),
      else ``retry`` within ``timeout``, then ``unavailable``;
    - a deadlock or lock timeout: ``retry`` for up to ``_CONTENTION_SECONDS``;
    - a lost connection or another transient error (database unavailable, leader
      switch): ``retry`` within ``timeout``;
    - after that ``unavailable`` (503); anything else ``raise`` (the caller's error).
    """
    code = code or ""
    if outcome_unknown:
        return "unavailable"
    if any(c in code for c in _OWN_MEMORY_LIMIT):
        return "too_large"
    if any(c in code for c in _POOL_OUT_OF_MEMORY):
        if attempt_seconds >= _BIG_TRANSACTION_SECONDS:
            return "too_large"
        return "retry" if total_seconds < timeout else "unavailable"
    if any(c in code for c in _CONTENTION_CODES):
        return "retry" if total_seconds < _CONTENTION_SECONDS else "unavailable"
    if connection_lost or code.startswith("Neo.TransientError."):
        return "retry" if total_seconds < timeout else "unavailable"
    return "raise"


def _unwrap(exc: Exception) -> Exception:
    """The Neo4j error behind a ``ResultFailedError`` (seen with neo4j 6.4, kept for any
    driver that does it: a query that fails at RUN is re-raised by the rollback that
    follows, wrapped)."""
    cause = exc.__cause__
    if isinstance(exc, neo4j.exceptions.ResultFailedError) and isinstance(cause, Exception):
        return cause
    return exc


_UNSETTLED_READS = 4  # reads after the first in read_settled


# What earlier versions did not store, filled in at start-up, each once per database: a
# ``(:GraphsvcMigration {id})`` node records that it ran, so later starts skip the scans
# (5 s a start on the bench database's 3.4 million steps). A plan's ``last_step_number``
# numbers the steps added to it; a step's ``plan_id`` serves the (plan_id, key) index, its
# ``routing_capability`` (one of its required capabilities, '' for none;
# ``plans.routing_capability``) claims. Run again they change nothing.
_BACKFILL = (
    ("plans.last_step_number", engine_query("fill_plan_step_numbers")),
    ("steps.plan_id, steps.routing_capability", engine_query("fill_step_routing")),
    ("steps.priority_rank", engine_query("fill_step_priority")),
    ("plans.max_parallel never enforced", engine_query("clear_plan_max_parallel")),
    ("steps.claim_shard", engine_query("fill_step_claim_shard")),
)
# Lease tokens were stored in plain text before they were secrets (domain.leases): the
# live leases keep working under their hash; every stored token is then removed.
_LEGACY_TOKENS = "lease tokens as hashes"
_LIVE_LEGACY_TOKENS = engine_query("find_plain_lease_tokens")
_HASH_TOKENS = engine_query("set_lease_token_hashes")
_DROP_TOKENS = engine_query("remove_plain_lease_tokens")
_APPLIED = engine_query("list_migrations")
_RECORD = engine_query("record_migration")


class Tx:
    """A transaction of the service, as the store's functions receive it: ``run`` adds
    the status parameters its query names, from the transition table
    (``table_parameters``), to the caller's parameters, and runs it in the driver's
    transaction. Statuses thus travel as parameters and never as Cypher text."""

    __slots__ = ("_after", "_tx", "journal")

    def __init__(self, tx: neo4j.Transaction) -> None:
        self._tx = tx
        self._after: list[Callable[[], None]] = []
        # The transitions recorded in this transaction, by plan id, written as one
        # EventBatch per plan just before the commit (store._events).
        self.journal: dict[str, list[dict[str, Any]]] = {}

    def on_commit(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once this transaction has committed (not if it rolls back or is
        tried again): metrics count what was written, once."""
        self._after.append(fn)

    def committed(self) -> None:
        """Run the ``on_commit`` callbacks; one that raises is logged, not raised: the
        transaction's work is done."""
        for fn in self._after:
            try:
                fn()
            except Exception:
                log.exception("a callback after a commit failed")

    def run(
        self, query: str, parameters: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> neo4j.Result:
        """``neo4j.Transaction.run`` with the table's parameters added."""
        return self._tx.run(query, {**table_parameters(query), **(parameters or {}), **kwargs})


class InTransaction:
    """Stands for a ``Database`` inside one open transaction: ``read`` and ``write`` run
    their function in that transaction, so commands written against a ``Database``
    compose into one transaction (an approved change applied with its approval)."""

    def __init__(self, tx: Tx, db: Database) -> None:
        self.tx = tx
        self.target = db.target
        self.name = db.name
        self.timeout = db.timeout

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.tx, *args, **kwargs)

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.tx, *args, **kwargs)

    def read_settled(
        self, fn: Callable[..., T], settled: Callable[[T], bool], *args: Any, **kwargs: Any
    ) -> T:
        return fn(self.tx, *args, **kwargs)


class Database:
    """A Neo4j driver bound to one database.

    ``read`` and ``write`` run a transaction function in a managed read or
    write transaction; ``apply_schema`` runs ``cypher/schema.cypher``.
    """

    def __init__(
        self, target: Neo4jTarget, max_pool_size: int = 100, timeout: float = 10.0
    ) -> None:
        """``timeout``: seconds a call waits for a Neo4j it cannot reach (connecting,
        waiting for a pooled connection, the driver's retries) before ``Unavailable``."""
        auth = (target.user, target.password) if target.password is not None else None
        self.target = target
        self.name = target.database
        self.timeout = timeout
        self.driver = neo4j.GraphDatabase.driver(
            target.uri,
            auth=auth,
            max_connection_pool_size=max_pool_size,
            notifications_min_severity="OFF",
            # Half each: a first attempt that waits for both, then its retries, end near
            # ``timeout`` rather than at twice it.
            connection_timeout=timeout / 2,
            connection_acquisition_timeout=timeout / 2,
        )
        # One bookmark manager for every session of this process: on a Neo4j cluster a
        # read (routed to a secondary) waits until it has the writes this process made
        # before it, so a request that follows a write reads it (causal consistency;
        # on a single Neo4j it costs nothing measurable).
        self.bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._coalescers: dict[str, Coalescer] = {}
        self._coalescers_lock = threading.Lock()
        # Numbers the journal batches this process commits, right after each commit
        # (coalesced, on a thread of its own): store.journal.
        self.sequencer = self.after_commit(
            "journal-sequencer", lambda plan_id: number_plan(self, plan_id)
        )

    def after_commit(self, name: str, fn: Callable[[str], object]) -> Coalescer:
        """This database's ``Coalescer`` called ``name`` (made with ``fn`` on first use):
        work the engine runs after commits, per key, coalesced, off the request's path."""
        with self._coalescers_lock:
            if name not in self._coalescers:
                self._coalescers[name] = Coalescer(name, fn)
            return self._coalescers[name]

    def close(self) -> None:
        for coalescer in self._coalescers.values():
            coalescer.stop()
        self.driver.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, timeout: float | None = None) -> None:
        """Run a query: ``Unavailable`` (one clear error) when Neo4j cannot be reached
        within ``timeout`` seconds (default the database's)."""
        self._managed(
            neo4j.READ_ACCESS,
            lambda tx: tx.run(engine_query("ping_database")).consume(),
            within=timeout,
        )

    def verify(self) -> None:
        """Raise the driver's error when Neo4j does not answer."""
        self.driver.verify_connectivity()

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(tx, *args)`` in a read transaction, retried as ``write`` is."""
        return self._managed(neo4j.READ_ACCESS, fn, *args, **kwargs)

    def read_settled(
        self, fn: Callable[..., T], settled: Callable[[T], bool], *args: Any, **kwargs: Any
    ) -> T:
        """``read``, read again (up to 5 times, 10 ms apart) while ``settled(answer)`` is
        False; then the last answer, settled or not.

        Neo4j reads without locks (read committed). Once in a test run, a read racing
        a step added mid-run met the new step with no properties, most likely while
        its transaction was being applied to the store; readers of many steps pass a
        ``settled`` that checks each step has its status."""
        answer = self.read(fn, *args, **kwargs)
        for _ in range(_UNSETTLED_READS):
            if settled(answer):
                break
            time.sleep(0.01)
            answer = self.read(fn, *args, **kwargs)
        return answer

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(tx, *args)`` in a write transaction; ``fn`` may run more than once, so
        it must be idempotent (as for the driver's managed transactions). Transient
        errors are retried as ``retry_policy`` says: after 50 ms, then doubling up to
        1 s, each with a jitter of +-50 % (the driver's own first delay, 1 s, would stall
        a claim that merely collided with a coordinator's change), deadlocks for up to
        120 s in all.
        ``TooLarge`` when the transaction needs more memory than Neo4j allows one;
        ``Unavailable`` when Neo4j cannot be reached within ``timeout`` seconds, or
        stays contended."""
        return self._managed(neo4j.WRITE_ACCESS, fn, *args, **kwargs)

    def _managed(
        self,
        mode: str,
        fn: Callable[..., T],
        *args: Any,
        within: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``fn`` in a transaction of its own, committed here, under our retry policy
        (``retry_policy``) rather than the driver's: the driver retries every transient
        error alike for ``max_transaction_retry_time``, which made a plan too large for
        Neo4j's memory a 500 after 45 - 88 s instead of a 413. ``within``: seconds to
        wait for a Neo4j that cannot be reached (default ``timeout``): no attempt starts,
        nor waits for a connection, past that deadline."""
        timeout = self.timeout if within is None else within
        began = time.monotonic()
        attempt = 0
        pause = 0.0
        while True:
            tried = time.monotonic()
            try:
                with (
                    span(f"neo4j.{mode.lower()}", attempt=attempt),
                    self.driver.session(
                        database=self.name,
                        default_access_mode=mode,
                        bookmark_manager=self.bookmarks,
                        # A connection is waited for only as long as the deadline allows.
                        connection_acquisition_timeout=max(0.05, began + timeout - tried),
                    ) as session,
                    session.begin_transaction() as tx,
                ):
                    ours = Tx(tx)
                    result = fn(ours, *args, **kwargs)
                    journaled = flush_journal(ours)
                    tx.commit()
                    ours.committed()
                    if journaled:
                        self.sequencer.schedule(journaled)
                    return result
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                error = _unwrap(exc)
                now = time.monotonic()
                pause = random.uniform(0.5, 1.5) * min(1.0, 0.05 * 2**attempt)
                verdict = retry_policy(
                    getattr(error, "code", None),
                    isinstance(error, _CONNECTION_ERRORS),
                    now - tried,
                    # When the next attempt would start: none starts after the deadline.
                    now + pause - began,
                    timeout,
                    isinstance(error, neo4j.exceptions.IncompleteCommit),
                )
                if verdict == "raise":
                    raise error from error.__cause__
                if verdict == "too_large":
                    raise TooLarge(
                        "this request needs more memory than Neo4j gives one transaction "
                        f"({getattr(error, 'message', error)}); nothing was written: send less "
                        "per request, or give Neo4j a larger heap (GRAPHSVC_LOCAL_HEAP_MB for "
                        "the local one)",
                        {"neo4j_code": getattr(error, "code", None)},
                    ) from error
                if verdict == "unavailable":
                    written = (
                        "the change may or may not have been written: read before you repeat it"
                        if isinstance(error, neo4j.exceptions.IncompleteCommit)
                        else "nothing was written, try again"
                    )
                    raise Unavailable(
                        f"Neo4j at {self.target.uri} is unavailable or too busy: {error}; "
                        + written,
                        {"neo4j_error": type(error).__name__},
                    ) from error
            time.sleep(pause)
            attempt += 1

    def apply_schema(self) -> None:
        """Create the constraints and indexes of ``schema.cypher`` (idempotent); wait for
        them; fill in what plans and steps stored by earlier versions lack, once per
        database (``GraphsvcMigration`` nodes record it)."""
        with self.driver.session(database=self.name) as session:
            for statement in schema_statements():
                session.run(statement).consume()
            applied = set(session.run(_APPLIED).single(strict=True)["ids"])
            for name, statement in _BACKFILL:
                if name not in applied:
                    session.run(statement).consume()
                    session.run(_RECORD, id=name).consume()
            if _LEGACY_TOKENS not in applied:
                live = session.run(
                    _LIVE_LEGACY_TOKENS, table_parameters(_LIVE_LEGACY_TOKENS)
                ).data()
                rows = [{"id": r["id"], "hash": hash_token(r["token"])} for r in live]
                session.run(_HASH_TOKENS, rows=rows).consume()
                session.run(_DROP_TOKENS).consume()
                session.run(_RECORD, id=_LEGACY_TOKENS).consume()
            session.run(engine_query("await_indexes")).consume()

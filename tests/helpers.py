"""Shared test helpers: the API keys of the test app, the environment of subprocesses,
waiting for a condition, and a plan's event numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from graphsvc.store import Database, Neo4jTarget
from graphsvc.store.journal import number_plan

KEYS = {"admin": "k-admin", "coordinator": "k-coord", "worker": "k-worker", "viewer": "k-viewer"}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test key for ``role``."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


def neo4j_env(target: Neo4jTarget) -> dict[str, str]:
    """Environment for a ``graphsvc`` subprocess that uses the test Neo4j."""
    return {
        **os.environ,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_PASSWORD": target.password or "",
        "NEO4J_DATABASE": target.database,
    }


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``predicate()`` holds; ``AssertionError`` naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_plan(
    coordinator: Any,
    plan_id: str,
    workers: list[Any],
    timeout: float,
    while_running: Callable[[], object] = lambda: time.sleep(0.2),
) -> None:
    """Start ``workers`` (``graphsvc.Worker``), start the plan through ``coordinator`` (an
    ``ApiClient``), call ``while_running()`` until the plan has left EXECUTING, stop the
    workers. ``AssertionError`` after ``timeout`` seconds."""
    for worker in workers:
        worker.start()
    try:
        coordinator.call("POST", f"/v1/plans/{plan_id}/start")
        deadline = time.monotonic() + timeout
        while coordinator.call("GET", f"/v1/plans/{plan_id}")["status"] == "EXECUTING":
            assert time.monotonic() < deadline, f"the plan did not finish in {timeout} s"
            while_running()
    finally:
        for worker in workers:
            worker.stop()


def plan_transitions(db: Database, plan_id: str) -> list[tuple[str, str | None]]:
    """A plan's recorded transitions in the order of their numbers, as ``(type, step key)``
    (``None`` for one that is not a step's), once what was committed is numbered."""
    number_plan(db, plan_id)
    rows = db.read(
        lambda tx: tx.run(
            "MATCH (b:EventBatch {plan_id: $id}) UNWIND range(0, b.size - 1) AS i "
            "OPTIONAL MATCH (s:ExecutionStep {id: CASE b.subject_kinds[i] WHEN 'step' "
            "THEN b.subject_ids[i] END}) "
            "RETURN b.types[i] AS type, s.key AS key ORDER BY b.first_seq + i",
            id=plan_id,
        ).data()
    )
    return [(r["type"], r["key"]) for r in rows]


def event_numbers(db: Database, plan_id: str) -> dict[str, Any]:
    """A plan's status and its numbered events (its journal's batches):
    ``{status, events, seqs (distinct), top (max seq)}``. Waits for the sequencer to number
    what was committed (it runs right after each commit, on a thread of its own)."""
    number_plan(db, plan_id)
    record = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id}) "
            "OPTIONAL MATCH (b:EventBatch {plan_id: $id}) "
            "UNWIND CASE WHEN b IS NULL THEN [null] ELSE range(b.first_seq, b.last_seq) END AS seq "
            "RETURN p.status AS status, count(seq) AS events, count(DISTINCT seq) AS seqs, "
            "max(seq) AS top",
            id=plan_id,
        ).single(strict=True)
    )
    return dict(record)


def end_live_plans(db: Database) -> int:
    """Cancel every plan that has not ended (root plans; their children go with them),
    so that no READY step of one test is left for another test's claims. Returns how
    many plans it cancelled."""
    from graphsvc._errors import ConflictError
    from graphsvc.engine import lifecycle

    roots = db.read(
        lambda tx: [
            r["id"]
            for r in tx.run(
                "MATCH (p:ExecutionPlan) WHERE p.status IN ['DRAFT', 'APPROVED', 'EXECUTING', "
                "'PAUSED'] AND NOT EXISTS { (:ExecutionStep)-[:SPAWNED]->(p) } RETURN p.id AS id"
            )
        ]
    )
    for plan_id in roots:
        with suppress(ConflictError):  # it ended meanwhile
            lifecycle.transition_plan(db, plan_id, "cancel", actor="test-isolation")
    return len(roots)


@contextmanager
def serve_process(target: Neo4jTarget, env: dict[str, str]) -> Iterator[ServeProcess]:
    """``graphsvc serve`` in a process of its own on a free port, on the test Neo4j, with
    ``env`` added (a viewer key of the tests and no start-up reconciliation by default),
    once it answers ``/healthz``; stopped on exit, its stderr then in ``.stderr``."""
    from graphsvc.localdb import free_port

    port = free_port()
    full = {
        **neo4j_env(target),
        "GRAPHSVC_API_KEYS": f"{KEYS['viewer']}:viewer",
        "GRAPHSVC_RECONCILE_ON_START": "false",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve", "--port", str(port)],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = ServeProcess(f"http://127.0.0.1:{port}")

    def up() -> bool:
        try:
            return httpx.get(f"{served.url}/healthz", timeout=2).is_success
        except httpx.TransportError:
            return False

    try:
        wait_for(up, 60, "graphsvc serve")
        yield served
    finally:
        proc.terminate()
        _, served.stderr = proc.communicate(timeout=30)


@dataclass
class ServeProcess:
    """A running ``graphsvc serve``: its base URL; its stderr once it has stopped."""

    url: str
    stderr: str = ""


def process_gone(pid: int) -> bool:
    """The process no longer runs (gone, or a zombie waiting for its reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def lease_past_due(db: Any, step_ids: list[str]) -> None:
    """Make these steps' leases 0.3 s past their expiry, with no sweep after."""
    db.write(
        lambda tx: tx.run(
            "UNWIND $ids AS id MATCH (s:ExecutionStep {id: id}) "
            "SET s.lease_expires_at = datetime() - duration({milliseconds: 300})",
            ids=step_ids,
        ).consume()
    )

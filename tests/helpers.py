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
from typing import Any

import httpx

from graphsvc.store import Database, Neo4jTarget

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


def event_numbers(db: Database, plan_id: str) -> dict[str, Any]:
    """A plan's status and its events: ``{status, events, seqs (distinct), top (max seq)}``."""
    record = db.read(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id})<-[:ABOUT]-(e:Event) "
            "RETURN p.status AS status, count(e) AS events, count(DISTINCT e.seq) AS seqs, "
            "max(e.seq) AS top",
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

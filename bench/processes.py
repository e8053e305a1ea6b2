"""Processes the workloads run as a user would: ``graphsvc worker`` with its own flags,
and live plans of earlier runs ended so that such a worker takes only the bench's."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from graphsvc.store import Database

__all__ = ["claims_counted", "end_live_plans", "worker_processes"]

LOGS = Path(__file__).resolve().parent / "results" / "logs"


@contextlib.contextmanager
def worker_processes(url: str, count: int, *flags: str) -> Iterator[list[Path]]:
    """``count`` processes of ``graphsvc worker --api url *flags``, started and ready (each
    has printed its first line); yields their log files and stops them on exit."""
    LOGS.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for _ in range(count):
            log = LOGS / f"worker-{os.getpid()}-{len(procs)}-{time.monotonic_ns()}.log"
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "graphsvc", "worker", "--api", url, *flags],
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "COLUMNS": "200"},
                )
            )
            logs.append(log)
        deadline = time.monotonic() + 60
        for proc, log in zip(procs, logs, strict=True):
            while "slot(s) on" not in log.read_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"graphsvc worker did not start; its log: {log}")
                time.sleep(0.05)
        yield logs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def end_live_plans(db: Database) -> None:
    """Cancel every live plan of earlier runs (and its unfinished steps) in the bench's
    database, so that a worker with no ``--plan`` takes only the plans made next."""
    db.write(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan) "
            "WHERE p.status IN ['DRAFT', 'APPROVED', 'EXECUTING', 'PAUSED'] "
            "SET p.status = 'CANCELLED' "
            "WITH p MATCH (p)-[:CONTAINS_STEP]->(s:ExecutionStep) "
            "WHERE NOT s.status IN ['COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED'] "
            "SET s.status = 'CANCELLED'"
        ).consume()
    )


_CLAIMS = re.compile(r'^graphsvc_claims_total\{result="(\w+)"\} ([0-9.e+]+)$', re.M)


def claims_counted(metrics_text: str) -> dict[str, float]:
    """``graphsvc_claims_total`` by result, from a ``/metrics`` answer."""
    return {m.group(1): float(m.group(2)) for m in _CLAIMS.finditer(metrics_text)}

"""Prometheus metrics (issue 23): the engine's own series, counted once per committed
transaction, and a registry per API app that serves them with the HTTP series at
``GET /metrics``.

The engine's collectors are process-wide and registered into each app's registry
(``app_registry``): a test process builds many apps, and one registry per app keeps
their HTTP series apart. ``graphsvc_ready_steps`` is read at scrape time through the
step status index, so a scrape costs as much as the READY backlog, not the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from graphsvc.domain.states import PLAN_TERMINAL

__all__ = [
    "CLAIMS",
    "CLAIM_DURATION",
    "DRIVER_WARNINGS",
    "LEASE_EXPIRATIONS",
    "PLANS_FINISHED",
    "STEP_TRANSITIONS",
    "SWEEPER_LAST_SUCCESS",
    "ReadySteps",
    "WorkerMetrics",
    "app_registry",
    "count_events",
]

STEP_TRANSITIONS = Counter(
    "graphsvc_step_transitions_total",
    "Step status changes the service committed, by the status reached and the step's kind.",
    ["to_status", "kind"],
    registry=None,
)
CLAIM_DURATION = Histogram(
    "graphsvc_claim_duration_seconds",
    "Seconds one claim's transaction took (without a long poll's wait).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=None,
)
CLAIMS = Counter(
    "graphsvc_claims_total",
    "Claims (alone or with a batch completion), by whether they leased steps (result=steps) "
    "or none (result=empty: nothing READY for the claimer, or racing claimers took it).",
    ["result"],
    registry=None,
)
LEASE_EXPIRATIONS = Counter(
    "graphsvc_lease_expirations_total",
    "Leases the sweeper took back: expired (a lost worker) or past the attempt's timeout.",
    registry=None,
)
PLANS_FINISHED = Counter(
    "graphsvc_plans_finished_total",
    "Plans that reached a terminal status, by that status.",
    ["status"],
    registry=None,
)
DRIVER_WARNINGS = Counter(
    "graphsvc_driver_warnings_total",
    "Warnings of the Neo4j driver (retries, routing), counted instead of printed.",
    registry=None,
)
SWEEPER_LAST_SUCCESS = Gauge(
    "graphsvc_sweeper_last_success_timestamp_seconds",
    "Unix time of the lease sweeper's last successful pass (0: none yet).",
    registry=None,
)
_ENGINE = (
    STEP_TRANSITIONS,
    CLAIM_DURATION,
    CLAIMS,
    LEASE_EXPIRATIONS,
    PLANS_FINISHED,
    SWEEPER_LAST_SUCCESS,
    DRIVER_WARNINGS,
)


def count_events(steps: Iterable[dict[str, Any]], plans: Iterable[dict[str, Any]]) -> None:
    """Count committed events: ``steps`` as ``{to, kind}`` (a step's new status),
    ``plans`` as ``{to}`` (a plan's new status; terminal ones count as finished)."""
    for step in steps:
        STEP_TRANSITIONS.labels(step["to"], step.get("kind") or "unknown").inc()
    for plan in plans:
        if plan["to"] in PLAN_TERMINAL:
            PLANS_FINISHED.labels(plan["to"]).inc()


class ReadySteps(Collector):
    """``graphsvc_ready_steps{kind}``: the READY backlog by kind, read when scraped with
    ``read() -> [(kind, count)]`` (a query through the step status index)."""

    def __init__(self, read: Callable[[], list[tuple[str, int]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "graphsvc_ready_steps", "Steps READY to be claimed, by kind.", labels=["kind"]
        )
        for kind, count in self._read():
            family.add_metric([kind], count)
        yield family


def app_registry(ready: Callable[[], list[tuple[str, int]]]) -> CollectorRegistry:
    """A registry for one API app: the engine's collectors and its READY backlog."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in _ENGINE:
        registry.register(collector)
    registry.register(ReadySteps(ready))
    return registry


class WorkerMetrics:
    """A worker's own series, counted from its events (``Worker(on_event=...)``), in a
    registry of its own that ``graphsvc worker --metrics-port`` serves:
    ``graphsvc_worker_steps_total{kind,outcome}`` (completed, failed, waiting: handed to
    child plans) and ``graphsvc_worker_step_duration_seconds{kind}`` (from start to
    report; steps completed in a batch without a start are counted, not timed)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.steps = Counter(
            "graphsvc_worker_steps_total",
            "Steps this worker ended, by kind and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "graphsvc_worker_step_duration_seconds",
            "Seconds from a step's start to its report, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self._started: dict[str, float] = {}

    def on_event(self, event: str, step: dict[str, Any]) -> None:
        """Count one worker event: ``started``, ``completed``, ``failed`` or ``waiting``."""
        step_id, kind = str(step.get("id")), str(step.get("kind") or "unknown")
        if event == "started":
            self._started[step_id] = time.monotonic()
            return
        if event not in ("completed", "failed", "waiting"):
            return
        self.steps.labels(kind, event).inc()
        began = self._started.pop(step_id, None)
        if began is not None:
            self.duration.labels(kind).observe(time.monotonic() - began)

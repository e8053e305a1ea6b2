"""Workloads of issue 22: W7 contention, W8 dispatch latency, W9 replicas, W10 reads of
a 100,000-step plan; of issue 28: W11 pages of a 100,000-event plan's events. Each
returns its figures as dicts."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.processes import claims_counted, end_live_plans, worker_processes
from bench.shapes import plan_spec
from bench.workloads import Figure, _wait_terminal, api_process
from graphsvc.domain import parse_spec
from graphsvc.engine import lifecycle
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.store import Database
from graphsvc.worker import ApiClient

__all__ = ["SCALE_WORKLOADS"]

_BATCH_1 = ("--slots", "1", "--batch", "1", "--instant-batch", "1", "--no-chain")


def _star_of(kind: str, n: int) -> dict[str, Any]:
    spec = plan_spec("star", n, kind)
    if kind == "command":
        for step in spec["steps"]:
            step["description"] = "sleep 0.01"
    return spec


def w7_contention(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W7: 1, 4 and 16 ``graphsvc worker`` processes, each one slot claiming one step at a
    time without chains, on a 1,000-step star of ``noop`` steps and of 10 ms
    ``command`` steps (``sleep 0.01``): steps per second from the plan's start to its
    end, and the share of claim transactions that leased nothing (the API's
    ``graphsvc_claims_total``)."""
    figures: list[Figure] = []
    end_live_plans(db)
    with api_process(db) as url:
        client = ApiClient(url)
        for kind in ("noop", "command"):
            for workers in (1, 4, 16):
                progress(f"W7 {kind} x{workers}")
                created = client.call("POST", "/v1/plans", json=_star_of(kind, 1000))
                flags = (*_BATCH_1, "--allow-commands") if kind == "command" else _BATCH_1
                with worker_processes(url, workers, *flags):
                    before = claims_counted(client.http.get("/metrics").text)
                    began = time.perf_counter()
                    client.call("POST", f"/v1/plans/{created['id']}/start")
                    status = _wait_terminal(db, created["id"])
                    seconds = time.perf_counter() - began
                    after = claims_counted(client.http.get("/metrics").text)
                empty = after.get("empty", 0) - before.get("empty", 0)
                full = after.get("steps", 0) - before.get("steps", 0)
                figures.append(
                    {
                        "workload": "W7",
                        "system": "graphsvc",
                        "kind": kind,
                        "workers": workers,
                        "steps": 1000,
                        "status": status,
                        "steps_per_second": round(1000 / seconds, 1),
                        "claims": int(empty + full),
                        "empty_claim_share": round(empty / max(1.0, empty + full), 4),
                    }
                )
    return figures


def _dispatch_samples(
    first: ApiClient, second: ApiClient, db: Database, pairs: int, wait: float
) -> list[float]:
    """Milliseconds from the moment ``first`` sends a step's completion to the moment
    ``second``, waiting in a long poll, has its dependent in hand; ``pairs`` times."""
    kind = f"w8-{new_id()[-8:]}"
    steps: list[dict[str, Any]] = []
    for i in range(pairs):
        steps += [
            {"key": f"A{i}", "kind": f"{kind}-a"},
            {"key": f"B{i}", "kind": f"{kind}-b", "depends_on": [f"A{i}"]},
        ]
    plan = first.call("POST", "/v1/plans?start=true", json={"name": "w8", "steps": steps})
    samples: list[float] = []
    for _ in range(pairs):
        [a] = first.claim(agent_id="w8-first", kinds=[f"{kind}-a"], max_steps=1)
        got: list[dict[str, Any]] = []

        def wait_for_b(got: list[dict[str, Any]]) -> None:
            got.extend(
                second.claim(
                    agent_id="w8-second", kinds=[f"{kind}-b"], max_steps=1, wait_seconds=wait
                )
            )
            got.append({"at": time.perf_counter()})

        waiter = threading.Thread(target=wait_for_b, args=(got,))
        waiter.start()
        time.sleep(0.05)  # the second worker is in its long poll
        sent = time.perf_counter()
        first.complete(a["id"], a["lease_token"], {})
        waiter.join()
        if len(got) == 2:
            samples.append((got[-1]["at"] - sent) * 1000)
            second.complete(got[0]["id"], got[0]["lease_token"], {})
    _wait_terminal(db, plan["id"], timeout=60)
    return samples


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "samples": len(ordered),
    }


def w8_dispatch(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W8: dispatch latency through HTTP: from a step's completion (sent by one worker) to
    its dependent handed to another worker waiting in a long poll (no chain: two
    workers), 200 times after 20 untimed; through one API process, and across two
    (the completion to one, the long poll on the other)."""
    figures: list[Figure] = []
    with api_process(db) as url, api_process(db) as other:
        for where, second_url in (("one API process", url), ("two API processes", other)):
            progress(f"W8 {where}")
            first, second = ApiClient(url), ApiClient(second_url)
            _dispatch_samples(first, second, db, 20, 5.0)
            samples = _dispatch_samples(first, second, db, 200, 5.0)
            figures.append(
                {"workload": "W8", "system": "graphsvc", "api": where, **_percentiles(samples)}
            )
    return figures


def _exactly_once(db: Database, plan_id: str) -> dict[str, int]:
    return dict(
        db.read(
            lambda tx: tx.run(
                "MATCH (:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s:ExecutionStep) "
                "WITH s, COUNT { (:EventBatch)-[:RECORDS {type: 'STEP_COMPLETED'}]->(s) } AS done "
                "RETURN count(s) AS steps, sum(CASE WHEN s.status = 'COMPLETED' THEN 1 "
                "ELSE 0 END) AS completed, sum(CASE WHEN done = 1 THEN 1 ELSE 0 END) AS once",
                id=plan_id,
            ).single(strict=True)
        )
    )


def w9_replicas(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W9: a 5,000-step layered noop plan run by 3 ``graphsvc worker`` processes (their
    defaults, 4 slots each) through 1 API process, then through 3 (one worker each):
    steps per second, and whether every step was COMPLETED exactly once."""
    figures: list[Figure] = []
    end_live_plans(db)
    for replicas in (1, 3):
        progress(f"W9 {replicas} API process(es)")
        with contextlib.ExitStack() as stack:
            urls = [stack.enter_context(api_process(db)) for _ in range(replicas)]
            client = ApiClient(urls[0])
            for i in range(3):
                stack.enter_context(worker_processes(urls[i % replicas], 1))
            created = client.call("POST", "/v1/plans", json=plan_spec("layered", 5000))
            began = time.perf_counter()
            client.call("POST", f"/v1/plans/{created['id']}/start")
            status = _wait_terminal(db, created["id"])
            seconds = time.perf_counter() - began
        once = _exactly_once(db, created["id"])
        figures.append(
            {
                "workload": "W9",
                "system": "graphsvc",
                "api_processes": replicas,
                "workers": 3,
                "steps": 5000,
                "status": status,
                "steps_per_second": round(5000 / seconds, 1),
                "exactly_once": once["steps"] == once["completed"] == once["once"] == 5000,
            }
        )
    return figures


def w10_reads(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W10: ``GET /v1/plans/{id}`` (its first page: 100 steps, the default) and ``GET
    /v1/plans/{id}/ready`` on a running 100,000-step plan whose frontier is 10 steps,
    through HTTP: p50 and max of 20 each, after 3 untimed."""
    progress("W10 (a 100,000-step plan)")
    n = 100_000
    steps: list[dict[str, Any]] = [{"key": f"R{i}", "kind": "noop"} for i in range(10)]
    steps += [{"key": f"S{i}", "kind": "noop", "depends_on": [f"R{i % 10}"]} for i in range(n - 10)]
    plan_id = create_plan(db, parse_spec({"name": "w10", "steps": steps})).id
    lifecycle.transition_plan(db, plan_id, "start")
    figures: list[Figure] = []
    with api_process(db) as url:
        client = ApiClient(url)
        for name, path in (
            ("first page", f"/v1/plans/{plan_id}"),
            ("ready", f"/v1/plans/{plan_id}/ready"),
        ):
            timings: list[float] = []
            for i in range(23):
                began = time.perf_counter()
                answer = client.http.get(path)
                if i >= 3:
                    timings.append((time.perf_counter() - began) * 1000)
                answer.raise_for_status()
            figures.append(
                {
                    "workload": "W10",
                    "system": "graphsvc",
                    "read": name,
                    "steps": n,
                    "bytes": len(answer.content),
                    "p50_ms": round(statistics.median(timings), 1),
                    "max_ms": round(max(timings), 1),
                }
            )
    lifecycle.transition_plan(db, plan_id, "cancel")
    return figures


def w11_event_pages(
    db: Database, sizes: list[int], progress: Callable[[str], None]
) -> list[Figure]:
    """W11 (issue 28): every event of a plan with 100,000 events or more (a 34,000-step
    star run by one ``graphsvc worker`` with its defaults: READY, CLAIMED and COMPLETED
    for each step), read through ``GET /v1/plans/{id}/events?after=`` in pages of 1,000:
    milliseconds of the first page, the last full page, the median and the slowest, and
    whether every number came once, in order."""
    n = 34_000
    end_live_plans(db)
    figures: list[Figure] = []
    with api_process(db) as url:
        client = ApiClient(url)
        progress(f"W11 running a {n:,}-step plan")
        created = client.call("POST", "/v1/plans", json=plan_spec("star", n))
        with worker_processes(url, 1):
            client.call("POST", f"/v1/plans/{created['id']}/start")
            status = _wait_terminal(db, created["id"])
        progress("W11 reading its events")
        after, seqs, timings = 0, 0, []
        in_order = True
        while True:
            began = time.perf_counter()
            page = client.call(
                "GET", f"/v1/plans/{created['id']}/events", params={"after": after, "limit": 1000}
            )
            timings.append((time.perf_counter() - began) * 1000)
            if not page:
                break
            in_order = in_order and [e["seq"] for e in page] == list(
                range(after + 1, after + len(page) + 1)
            )
            after = page[-1]["seq"]
            seqs += len(page)
        # The last full page: the last page read with events, unless it was short.
        full = timings[:-1] if seqs % 1000 == 0 else timings[:-2] or timings
        figures.append(
            {
                "workload": "W11",
                "system": "graphsvc",
                "status": status,
                "events": seqs,
                "pages": len(timings) - 1,
                "first_page_ms": round(timings[0], 1),
                "last_page_ms": round(full[-1], 1),
                "p50_ms": round(statistics.median(timings[:-1]), 1),
                "max_ms": round(max(timings[:-1]), 1),
                "exactly_once": in_order and seqs == after,
            }
        )
    return figures


SCALE_WORKLOADS = {
    "W7": w7_contention,
    "W8": w8_dispatch,
    "W9": w9_replicas,
    "W10": w10_reads,
    "W11": w11_event_pages,
}

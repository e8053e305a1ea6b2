"""graphsvc's workloads W1-W6 (issue 8), each returning its figures as dicts."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.processes import end_live_plans, worker_processes
from bench.shapes import SHAPES, plan_spec
from graphsvc.domain import parse_spec
from graphsvc.engine import children, lifecycle, work
from graphsvc.engine.plans import create_plan
from graphsvc.ids import new_id
from graphsvc.localdb import free_port
from graphsvc.store import Database, tree
from graphsvc.worker import ApiClient

__all__ = ["RESULTS", "WORKLOADS", "api_process", "w1_end_to_end"]

Figure = dict[str, Any]
RESULTS = Path(__file__).resolve().parent / "results"


def _wait_terminal(db: Database, plan_id: str, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = db.read(
            lambda tx: tx.run(
                "MATCH (p:ExecutionPlan {id: $id}) RETURN p.status AS s", id=plan_id
            ).single(strict=True)["s"]
        )
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            return str(status)
        time.sleep(0.02)
    raise TimeoutError(f"plan {plan_id} did not finish in {timeout} s")


@contextlib.contextmanager
def api_process(db: Database) -> Iterator[str]:
    """``graphsvc serve`` in a process of its own on a free loopback port, on ``db``'s
    Neo4j, with the local key (read by the bench's clients); yields its base URL and
    stops it on exit. Its log goes to ``bench/results/logs/api-<port>.log``.

    Deployed, the API and the workers are separate processes: measured in one
    process, the API's request handling and the worker's HTTP client share one
    interpreter lock (about 20 % of W1's throughput on two cores, bench/README.md)."""
    port = free_port()
    target = db.target
    env = {
        **os.environ,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_DATABASE": target.database,
        "GRAPHSVC_API_KEYS": "",
        "GRAPHSVC_SWEEP_INTERVAL": "1.0",
    }
    if target.password is not None:
        env["NEO4J_PASSWORD"] = target.password
    log_path = RESULTS / "logs" / f"api-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"graphsvc serve exited; its log: {log_path}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"graphsvc serve did not answer in 60 s; its log: {log_path}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# Run untimed before W1: the first few thousand steps after a Neo4j start run at a
# fraction of the speed while the JVM compiles the hot paths (star at 1,000 steps,
# measured: 124/s first, 480/s second, about 1,000/s warm; bench/README.md).
W1_WARMUP = (("layered", 10000), ("linear", 1000))


def _run_w1_plan(
    url: str, client: ApiClient, db: Database, shape: str, n: int
) -> tuple[float, str]:
    """One noop plan of ``shape`` and ``n`` steps run by ``graphsvc worker --slots 8`` (its
    defaults otherwise: what a user gets), started before the plan: the seconds from
    the plan's start to its end, and its final status."""
    created = client.call("POST", "/v1/plans", json=plan_spec(shape, n))
    with worker_processes(url, 1, "--slots", "8"):
        began = time.perf_counter()
        client.call("POST", f"/v1/plans/{created['id']}/start")
        status = _wait_terminal(db, created["id"])
        return time.perf_counter() - began, status


def w1_end_to_end(
    db: Database,
    sizes: list[int],
    progress: Callable[[str], None],
    shapes: tuple[str, ...] = tuple(SHAPES),
) -> list[Figure]:
    """W1: noop plans through the REST API (``api_process``), run by ``graphsvc worker
    --slots 8`` in a process of its own with the worker's defaults (chain leases, 64
    instant steps per claim, completed together with the next claim); after the
    untimed ``W1_WARMUP`` plans."""
    figures: list[Figure] = []
    end_live_plans(db)
    with api_process(db) as url:
        client = ApiClient(url)
        for shape, n in W1_WARMUP:
            progress(f"W1 warm-up {shape} {n} (not timed)")
            _run_w1_plan(url, client, db, shape, n)
        for n in sizes:
            for shape in shapes:
                progress(f"W1 {shape} {n}")
                seconds, status = _run_w1_plan(url, client, db, shape, n)
                figures.append(
                    {
                        "workload": "W1",
                        "system": "graphsvc",
                        "shape": shape,
                        "tasks": n,
                        "seconds": round(seconds, 3),
                        "status": status,
                        "tasks_per_second": round(n / seconds, 1),
                        "worker": "graphsvc worker --slots 8 (defaults otherwise)",
                        "warmup": [f"{s} {k}" for s, k in W1_WARMUP],
                    }
                )
    return figures


def _frontier_plan(db: Database, n: int, cap: str) -> str:
    """A plan of ``n`` steps of which 10 are READY (the rest wait behind a gate step)."""
    steps: list[dict[str, Any]] = [
        {"key": "GATE", "kind": "task", "description": "never", "requires_capabilities": [new_id()]}
    ]
    steps += [{"key": f"R{i}", "kind": "noop", "requires_capabilities": [cap]} for i in range(10)]
    steps += [{"key": f"P{i}", "kind": "noop", "depends_on": ["GATE"]} for i in range(n - 11)]
    plan_id = create_plan(db, parse_spec({"name": f"frontier {n}", "steps": steps})).id
    lifecycle.transition_plan(db, plan_id, "start")
    return plan_id


# Untimed claims before W2's 200 timed ones in each plan: the first claims of a plan
# (and of a run) pay for query planning and the JIT, and one of them is the p99.
W2_WARMUP = 20


# Beside W2's plans, a backlog of READY steps that need a capability no claimer has (as
# when the workers with it are down): claims must not read it.
W2_BACKLOG = 10_000


def _claim_samples(db: Database, cap: str) -> dict[str, float]:
    """p50 and p99 (ms) of 200 claims of one step needing ``cap`` (after ``W2_WARMUP``
    untimed ones), each put back READY for the next."""
    samples: list[float] = []
    for i in range(W2_WARMUP + 200):
        began = time.perf_counter()
        [step] = work.claim(db, f"bench-{cap}", ["noop"], [cap])
        if i >= W2_WARMUP:
            samples.append((time.perf_counter() - began) * 1000)
        # put it back for the next claim, as an expired lease would
        db.write(
            lambda tx, sid=step["id"]: tx.run(
                "MATCH (s:ExecutionStep {id: $id})-[r:ASSIGNED_TO]->() DELETE r "
                "SET s.status = 'READY', s.lease_token = null",
                id=sid,
            ).consume()
        )
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
    }


def w2_claim_latency(
    db: Database, sizes: list[int], progress: Callable[[str], None]
) -> list[Figure]:
    """W2: p50/p99 of one claim in plans of growing size with a frontier of 10, after
    ``W2_WARMUP`` untimed claims in each; then in the smallest beside a READY backlog of
    ``W2_BACKLOG`` steps that need a capability the claimer lacks."""
    figures: list[Figure] = []
    for n in sizes:
        progress(f"W2 {n}")
        cap = f"w2-{new_id()}"
        plan_id = _frontier_plan(db, n, cap)
        figures.append(
            {"workload": "W2", "system": "graphsvc", "plan_steps": n, **_claim_samples(db, cap)}
        )
        lifecycle.transition_plan(db, plan_id, "cancel")
    if len(figures) >= 2:
        figures.append(
            {
                "workload": "W2",
                "system": "graphsvc",
                "figure": "p50 ratio",
                "ratio": round(figures[-1]["p50_ms"] / figures[0]["p50_ms"], 2),
            }
        )
    progress(f"W2 {min(sizes)} beside a backlog of {W2_BACKLOG}")
    cap = f"w2-{new_id()}"
    unheld = [
        {"key": f"B{i}", "kind": "noop", "requires_capabilities": [f"{cap}-nobody"]}
        for i in range(W2_BACKLOG)
    ]
    backlog = create_plan(db, parse_spec({"name": "w2 backlog", "steps": unheld})).id
    lifecycle.transition_plan(db, backlog, "start")
    plan_id = _frontier_plan(db, min(sizes), cap)
    figures.append(
        {
            "workload": "W2",
            "system": "graphsvc",
            "plan_steps": min(sizes),
            "figure": f"beside {W2_BACKLOG} READY steps it cannot take",
            **_claim_samples(db, cap),
        }
    )
    for pid in (plan_id, backlog):
        lifecycle.transition_plan(db, pid, "cancel")
    return figures


def w3_tree(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W3: the depth-3 tree of a family of 1 + 10 + 100 + 1,000 plans of 10 steps."""
    progress("W3 building the family")
    cap = f"w3-{new_id()}"

    def spec(keys: list[str]) -> Any:
        return parse_spec(
            {
                "name": "w3",
                "steps": [
                    {"key": k, "kind": "subplan", "requires_capabilities": [cap]} for k in keys
                ],
            }
        )

    root = create_plan(db, spec(["SPLIT"] + [f"S{i}" for i in range(9)])).id
    lifecycle.transition_plan(db, root, "start")
    for level in (1, 2, 3):
        claimed = [
            s
            for s in work.claim(db, f"bench-{cap}", ["subplan"], [cap], max_steps=10000)
            if s["key"] == "SPLIT"
        ]
        for step in claimed:
            keys = ([] if level == 3 else ["SPLIT"]) + [f"S{i}" for i in range(10 - (level < 3))]
            children.spawn(
                db,
                step["id"],
                step["lease_token"],
                [spec(keys) for _ in range(10)],
                max_parallel=10,
            )
    progress("W3 timing the tree")
    tree.status_tree(db, root, 3)  # warm-up, not counted: plans the query (cold JIT, caches)
    samples = []
    for _ in range(20):
        began = time.perf_counter()
        result = tree.status_tree(db, root, 3)
        samples.append((time.perf_counter() - began) * 1000)
    lifecycle.transition_plan(db, root, "cancel")
    return [
        {
            "workload": "W3",
            "system": "graphsvc",
            "plans": result.plan_count,
            "steps": result.step_count,
            "p50_ms": round(statistics.median(samples), 1),
            "min_ms": round(min(samples), 1),
        }
    ]


def w4_contention(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W4: 64 concurrent claimers (10 steps a claim) over a 10,000-step star, each going on
    until every step is claimed; claims/s, double claims and empty claims."""
    n = 10_000
    progress("W4")
    cap = f"w4-{new_id()}"
    spec = {
        "name": "w4",
        "steps": [{"key": "ROOT", "kind": "noop"}]
        + [{"key": f"L{i}", "kind": "noop", "requires_capabilities": [cap]} for i in range(n)],
    }
    plan_id = create_plan(db, parse_spec(spec)).id
    db.write(
        lambda tx: tx.run(
            "MATCH (p:ExecutionPlan {id: $id})-[:CONTAINS_STEP]->(s) SET s.status = 'READY', "
            "p.status = 'EXECUTING', p.started_at = datetime()",
            id=plan_id,
        ).consume()
    )
    claimed: list[str] = []
    empty = [0]
    lock = threading.Lock()

    def claimer(i: int) -> None:
        # Until every step is claimed (since session 11; before, a claimer stopped at its
        # first empty claim, so claimers that collided left the race and the figure
        # measured fewer claimers than 64: bench/README.md, session 11).
        while True:
            got = work.claim(db, f"w4-{i}-{cap}", ["noop"], [cap], max_steps=10)
            with lock:
                claimed.extend(s["id"] for s in got)
                empty[0] += not got
                if len(claimed) >= n + 1:
                    return

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(64)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    lifecycle.transition_plan(db, plan_id, "cancel")
    return [
        {
            "workload": "W4",
            "system": "graphsvc",
            "claimers": 64,
            "steps": n,
            "claims": len(claimed),
            "double_claims": len(claimed) - len(set(claimed)),
            "empty_claims": empty[0],
            "claims_per_second": round(len(claimed) / seconds, 1),
            "stop": "when every step is claimed",
        }
    ]


def w5_live_insertion(
    db: Database, sizes: list[int], progress: Callable[[str], None]
) -> list[Figure]:
    """W5: 1,000 steps added in batches of 100 to a running 10,000-step plan, each batch
    one ``POST /v1/plans/{id}/steps/batch`` through the REST API; then claimed."""
    progress("W5")
    cap = f"w5-{new_id()}"
    plan_id = _frontier_plan(db, 10_000, f"{cap}-frontier")
    per_batch: list[float] = []
    to_claim: list[float] = []
    with api_process(db) as url:
        client = ApiClient(url)
        for b in range(10):
            steps = [
                {"key": f"N{b}_{i}", "kind": "noop", "requires_capabilities": [cap]}
                for i in range(100)
            ]
            began = time.perf_counter()
            client.call("POST", f"/v1/plans/{plan_id}/steps/batch", json={"steps": steps})
            added = time.perf_counter()
            per_batch.append((added - began) * 1000)
            got = 0
            while got < 100:
                got += len(work.claim(db, f"bench-{cap}", ["noop"], [cap], max_steps=100))
            to_claim.append((time.perf_counter() - added) * 1000)
    lifecycle.transition_plan(db, plan_id, "cancel")
    return [
        {
            "workload": "W5",
            "system": "graphsvc",
            "batch": 100,
            "ms_per_batch_p50": round(statistics.median(per_batch), 1),
            "ms_per_batch_max": round(max(per_batch), 1),
            "ms_until_claimed_p50": round(statistics.median(to_claim), 1),
            "note": "one POST /v1/plans/{id}/steps/batch per batch, through HTTP",
        }
    ]


def w6_ingestion(db: Database, sizes: list[int], progress: Callable[[str], None]) -> list[Figure]:
    """W6: one 10,000-step layered plan submitted in one request (store level)."""
    progress("W6")
    spec = parse_spec(plan_spec("layered", 10_000))
    began = time.perf_counter()
    created = create_plan(db, spec)
    seconds = time.perf_counter() - began
    lifecycle.transition_plan(db, created.id, "cancel")
    return [{"workload": "W6", "system": "graphsvc", "steps": 10_000, "seconds": round(seconds, 3)}]


WORKLOADS = {
    "W1": w1_end_to_end,
    "W2": w2_claim_latency,
    "W3": w3_tree,
    "W4": w4_contention,
    "W5": w5_live_insertion,
    "W6": w6_ingestion,
}

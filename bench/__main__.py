"""``python -m bench``: run the workloads of issues 8 and 22 and write their figures.

Starts what it needs (the local Neo4j unless ``NEO4J_URI`` is set; the peers in
virtual environments of their own under ``bench/.venvs``), runs each workload, and
writes one JSON line per figure to ``bench/results/<system>.jsonl`` (appended, each
with the time and the machine) plus a short table on stdout. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.scale import SCALE_WORKLOADS
from bench.shapes import SHAPES
from bench.workloads import RESULTS, WORKLOADS, w1_end_to_end
from graphsvc.settings import Settings
from graphsvc.store import Database, resolve_target

HERE = Path(__file__).resolve().parent
PEERS = {
    # Pinned releases that install on Python 3.11 here (issue 8). Prefect 3.8.8 needs
    # fastapi>=0.139, and its server passes Body(min_items=...), which FastAPI 0.155
    # and later refuse (TypeError at import): 0.154.0 is the newest that works.
    "prefect": ["prefect==3.8.8", "fastapi==0.154.0"],
    "langgraph": ["langgraph==1.2.22", "langgraph-checkpoint-sqlite==3.1.2"],
}
console = Console()


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _write(system: str, figures: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    stamp = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": _machine()}
    with (RESULTS / f"{system}.jsonl").open("a", encoding="utf-8") as out:
        for figure in figures:
            out.write(json.dumps({**figure, **stamp}) + "\n")


def _peer(name: str, n: int) -> list[dict[str, Any]]:
    env_dir = HERE / ".venvs" / name
    python = env_dir / "bin" / "python"
    if not python.exists():
        console.print(f"creating {env_dir} ({', '.join(PEERS[name])})")
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS[name]], check=True)
    env = {
        **os.environ,
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no network here: its sends fail
    }
    script = HERE / "peers" / f"{name}_bench.py"
    figures = []
    for shape in SHAPES:
        console.print(f"{name} W1 {shape} {n}")
        proc = subprocess.run(
            [str(python), str(script), str(n), shape],
            capture_output=True,
            text=True,
            env=env,
            timeout=3600,
            check=False,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            figures.append(
                {
                    "workload": "W1",
                    "system": name,
                    "shape": shape,
                    "tasks": n,
                    "error": (proc.stderr.strip().splitlines() or ["?"])[-1][:300],
                }
            )
            continue
        figures += [json.loads(line) for line in lines]
    return figures


def _table(figures: list[dict[str, Any]]) -> Table:
    table = Table(title="bench figures")
    for column in ("workload", "system", "what", "figure"):
        table.add_column(column)
    for f in figures:
        what = " ".join(
            str(f[k])
            for k in (
                "shape",
                "tasks",
                "plan_steps",
                "kind",
                "workers",
                "api",
                "api_processes",
                "read",
                "figure",
            )
            if k in f
        )
        value = next(
            (
                f"{k}={f[k]}"
                for k in (
                    "tasks_per_second",
                    "steps_per_second",
                    "p50_ms",
                    "ratio",
                    "claims_per_second",
                    "ms_per_batch_p50",
                    "seconds",
                    "error",
                )
                if k in f
            ),
            "",
        )
        extra = f" p99={f['p99_ms']}" if "p99_ms" in f else ""
        extra += f" double={f['double_claims']}" if "double_claims" in f else ""
        extra += f" empty={f['empty_claim_share']}" if "empty_claim_share" in f else ""
        extra += f" exactly_once={f['exactly_once']}" if "exactly_once" in f else ""
        if "first_page_ms" in f:
            extra += f" first={f['first_page_ms']} last={f['last_page_ms']} events={f['events']}"
        table.add_row(f["workload"], f["system"], what, value + extra)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W11")
    parser.add_argument("--w1-sizes", default="1000,10000")
    parser.add_argument("--w1-shapes", default=",".join(SHAPES))
    parser.add_argument("--w2-sizes", default="1000,10000,100000")
    parser.add_argument(
        "--peers",
        default="prefect,langgraph",
        help="Peers for W1 at the first W1 size ('' for none).",
    )
    args = parser.parse_args()
    logging.getLogger("neo4j.session").setLevel(logging.ERROR)
    db = Database(resolve_target(Settings(), announce=console.print))
    db.apply_schema()
    figures: list[dict[str, Any]] = []
    try:
        for name in [w for w in args.workloads.split(",") if w]:
            sizes = [int(s) for s in (args.w2_sizes if name == "W2" else args.w1_sizes).split(",")]
            progress = lambda msg: console.print(f"[dim]{msg}[/]")  # noqa: E731
            if name == "W1":
                shapes = tuple(s for s in args.w1_shapes.split(",") if s)
                got = w1_end_to_end(db, sizes, progress, shapes)
            else:
                got = {**WORKLOADS, **SCALE_WORKLOADS}[name](db, sizes, progress)
            _write("graphsvc", got)
            figures += got
    finally:
        db.close()
    peer_n = int(args.w1_sizes.split(",")[0])
    for peer in [p for p in args.peers.split(",") if p]:
        got = _peer(peer, peer_n)
        _write(peer, got)
        figures += got
    ours = {
        (f["shape"], f["tasks"]): f["tasks_per_second"]
        for f in figures
        if f["workload"] == "W1" and f["system"] == "graphsvc"
    }
    for f in list(figures):
        if f["workload"] == "W1" and f["system"] != "graphsvc" and "tasks_per_second" in f:
            mine = ours.get((f["shape"], f["tasks"]))
            if mine:
                ratio = {
                    "workload": "W1",
                    "system": f"graphsvc/{f['system']}",
                    "shape": f["shape"],
                    "tasks": f["tasks"],
                    "figure": "ratio",
                    "ratio": round(mine / f["tasks_per_second"], 2),
                }
                figures.append(ratio)
                _write("ratios", [ratio])
    console.print(_table(figures))


if __name__ == "__main__":
    sys.exit(main())

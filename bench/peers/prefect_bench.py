"""Prefect 3 peer (run inside bench/.venvs/prefect): the W1 shapes as no-op tasks on
Prefect's ephemeral local server; prints one JSON line per shape."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from prefect import flow, task

from bench.shapes import graph


@task
def noop(*_: object) -> None:
    return None


def run(shape: str, n: int) -> dict[str, object]:
    deps = graph(shape, n)

    @flow(name=f"bench-{shape}-{n}")
    def dag() -> None:
        futures: dict[str, object] = {}
        for key, after in deps.items():
            futures[key] = noop.submit(wait_for=[futures[d] for d in after])
        for f in futures.values():
            f.wait()  # type: ignore[attr-defined]

    began = time.perf_counter()
    dag()
    seconds = time.perf_counter() - began
    return {
        "workload": "W1",
        "system": "prefect",
        "shape": shape,
        "tasks": n,
        "seconds": round(seconds, 3),
        "tasks_per_second": round(n / seconds, 1),
    }


if __name__ == "__main__":
    n = int(sys.argv[1])
    for shape in sys.argv[2:]:
        print(json.dumps(run(shape, n)), flush=True)
